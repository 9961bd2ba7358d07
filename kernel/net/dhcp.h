/* dhcp.h: the DHCP client (RFC 2131): discover, request, bound, renewal at
 * half the lease, and a fresh start when the lease runs out or is refused. */
#ifndef NET_DHCP_H
#define NET_DHCP_H
#include <stddef.h>
#include <stdint.h>

#define DHCP_CLIENT_PORT 68
#define DHCP_SERVER_PORT 67

void dhcp_start(void);
void dhcp_tick(void);
void dhcp_input(const uint8_t *msg, size_t len);
/* "bound", "discovering", "requesting", "renewing" */
const char *dhcp_state_name(void);

#endif
