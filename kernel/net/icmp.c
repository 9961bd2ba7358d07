/* icmp.c: ICMP echo (RFC 792): replies to echo requests, sends the `ping`
 * command's requests and records the replies it gets back. */
#include "net/ip.h"
#include "net/bytes.h"
#include "net/net.h"
#include "net/platform.h"
#include "lib/string.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMP_HDR_LEN 8

static struct {
    uint16_t id;
    int seq;        /* last reply's sequence number, -1 none */
    uint64_t when;
} last_reply = { 0, -1, 0 };

void icmp_input(uint32_t src, const uint8_t *msg, size_t len)
{
    if (len < ICMP_HDR_LEN || ip_checksum(msg, len, 0) != 0)
        return;
    if (msg[0] == ICMP_ECHO_REQUEST && len <= NET_MTU - IP_HDR_LEN) {
        uint8_t frame[NET_FRAME_MAX];
        uint8_t *r = frame + NET_L4_OFFSET;
        memcpy(r, msg, len);
        r[0] = ICMP_ECHO_REPLY;
        r[1] = 0;
        put16(r + 2, 0);
        put16(r + 2, ip_checksum(r, len, 0));
        ip_send(frame, src, IP_PROTO_ICMP, len);
    } else if (msg[0] == ICMP_ECHO_REPLY) {
        last_reply.id = get16(msg + 4);
        last_reply.seq = get16(msg + 6);
        last_reply.when = net_now_ms();
    }
}

int icmp_echo_send(uint32_t dst, uint16_t id, uint16_t seq, size_t data_len)
{
    uint8_t frame[NET_FRAME_MAX];
    if (data_len > NET_MTU - IP_HDR_LEN - ICMP_HDR_LEN)
        return -1;
    uint8_t *m = frame + NET_L4_OFFSET;
    m[0] = ICMP_ECHO_REQUEST;
    m[1] = 0;
    put16(m + 2, 0);
    put16(m + 4, id);
    put16(m + 6, seq);
    for (size_t i = 0; i < data_len; i++)
        m[ICMP_HDR_LEN + i] = (uint8_t)('a' + i % 23);
    put16(m + 2, ip_checksum(m, ICMP_HDR_LEN + data_len, 0));
    return ip_send(frame, dst, IP_PROTO_ICMP, ICMP_HDR_LEN + data_len);
}

int icmp_echo_last(uint16_t id, uint64_t *when_ms)
{
    if (last_reply.seq < 0 || last_reply.id != id)
        return -1;
    *when_ms = last_reply.when;
    return last_reply.seq;
}
