/* cmd_serve.c: `serve [PORT]`, the OpenAI-compatible API over HTTP on the
 * network card, one console line per request, until Ctrl+C. */
#include "shell/command.h"
#include "ai/model.h"
#include "net/api.h"
#include "net/net.h"
#include "net/net_kernel.h"
#include "drivers/console.h"
#include "lib/string.h"

#define SERVE_DEFAULT_PORT 8080
#define DHCP_WAIT_MS 10000

static int cmd_serve(int argc, char **argv)
{
    unsigned long port = SERVE_DEFAULT_PORT;
    if (argc > 2) {
        kprintf("error: usage: serve [PORT]\n");
        return -1;
    }
    if (argc == 2) {
        char *end;
        port = strtoul(argv[1], &end, 10);
        if (*end || end == argv[1] || port < 1 || port > 65535) {
            kprintf("error: the port must be a number within 1..65535\n");
            return -1;
        }
    }
    if (!net_if.present) {
        kprintf("error: no network card (MyOS drives the Intel e1000: QEMU's default, -nic model=e1000)\n");
        return -1;
    }
    if (net_kernel_wait_address(DHCP_WAIT_MS) != 0) {
        kprintf("error: no address from DHCP yet (see 'net')\n");
        return -1;
    }
    if (!ai_model_session()) /* load now, not on the first request */
        return -1;
    char ip[16];
    net_format_ip(ip, net_if.ip);
    kprintf("serving %s on http://%s:%lu/v1 (Ctrl+C stops)\n", ai_model_name(), ip, port);
    int rc = api_serve((uint16_t)port);
    if (rc == 0)
        kprintf("stopped serving\n");
    return rc;
}
SHELL_COMMAND(serve, "serve [PORT]: the OpenAI-compatible API over HTTP (default port 8080)", cmd_serve);
