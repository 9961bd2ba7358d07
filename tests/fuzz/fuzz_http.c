/* fuzz_http.c: libFuzzer target for the HTTP request parser
 * (kernel/net/http.c): any bytes, as a head block or not, must parse or be
 * refused with one of the documented statuses, and what parses must point
 * inside the input. */
#include <stdlib.h>
#include <string.h>

#include "net/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1); /* exact size: ASan sees any overrun */
    memcpy(buf, data, size);
    size_t head = http_head_length(buf, size);
    if (head > size)
        abort();
    struct http_request req;
    int status = http_parse(buf, head ? head : size, &req);
    if (status == 0) {
        if (req.method_len == 0 || req.path_len == 0 || req.path[0] != '/' || req.method < buf ||
            req.path + req.path_len > buf + size || req.content_length > HTTP_BODY_MAX)
            abort();
        if (req.authorization && req.authorization + req.authorization_len > buf + size)
            abort();
        http_method_is(&req, "POST");
        http_path_is(&req, "/v1/chat/completions");
    } else if (status != 400 && status != 413 && status != 417 && status != 501 && status != 505) {
        abort();
    }
    if (http_reason(status)[0] == 0)
        abort();
    free(buf);
    return 0;
}
