/* tcp.c: the TCP connections: segment processing (tcp_input), what goes out
 * (output, retransmission, window probes), the timers (tcp_tick) and the
 * application calls of tcp.h.
 *
 * Buffers are rings. tx holds the bytes from snd_una on (sent and not yet
 * acknowledged, then not yet sent); our SYN and FIN take sequence numbers
 * but no buffer space. Segments that arrive out of order are dropped and
 * acknowledged with what we expect (the peer sends them again); data
 * beyond the free buffer space is cut off the same way. */
#include "net/tcp.h"
#include "net/bytes.h"
#include "net/ip.h"
#include "net/net.h"
#include "net/platform.h"
#include "lib/string.h"

#define TCP_HDR_LEN 20
#define TCP_MSS_LOCAL (NET_MTU - IP_HDR_LEN - TCP_HDR_LEN)
#define TCP_MSS_DEFAULT 536   /* RFC 9293: when the peer names none */
#define TCP_RTO_INITIAL 1000
#define TCP_RTO_MIN 200
#define TCP_RTO_MAX 8000
#define TCP_MAX_RETRIES 8     /* then the peer is taken to be gone */
#define TCP_TIME_WAIT_MS 2000 /* short: the stack is only a server */
#define TCP_LINGER_MS 15000   /* most a connection lives after tcp_close */

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b) ((int32_t)((a) - (b)) <= 0)

enum state { CLOSED = 0, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, LAST_ACK, FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT };

struct tcp_conn {
    enum state state;
    int owned;             /* handed out by tcp_accept, not yet closed */
    int dead;              /* reset or timed out while owned */
    uint32_t rip;
    uint16_t rport, lport;
    uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2;
    uint32_t rcv_nxt, adv_wnd;   /* adv_wnd: the window we last announced */
    uint16_t mss;
    int fin_wanted, fin_sent;    /* the application closed; our FIN is out */
    uint32_t fin_seq;
    uint8_t rx[TCP_RX_BUF];
    uint32_t rx_head, rx_len;
    uint8_t tx[TCP_TX_BUF];
    uint32_t tx_head, tx_len;
    uint64_t rtx_at;             /* retransmission deadline, 0 = none */
    uint32_t rto, srtt, rttvar;  /* ms; srtt 0 = no measurement yet */
    int retries;
    int timing;                  /* an RTT measurement is running */
    uint32_t rtt_seq;
    uint64_t rtt_start;
    uint64_t deadline;           /* TIME_WAIT end, or the linger limit */
};

static struct tcp_conn conns[TCP_MAX_CONNS];
static uint16_t listen_port;

/* ---- output ------------------------------------------------------------ */

static uint32_t rx_free(const struct tcp_conn *c)
{
    uint32_t w = TCP_RX_BUF - c->rx_len;
    return w > 65535 ? 65535 : w;
}

static void send_raw(uint32_t rip, uint16_t lport, uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags,
                     uint16_t wnd, const struct tcp_conn *data_from, uint32_t data_off, uint32_t len)
{
    uint8_t frame[NET_FRAME_MAX];
    uint8_t *t = frame + NET_L4_OFFSET;
    uint32_t hlen = TCP_HDR_LEN + (flags & SYN ? 4 : 0);
    put16(t, lport);
    put16(t + 2, rport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = (uint8_t)(hlen / 4 << 4);
    t[13] = flags;
    put16(t + 14, wnd);
    put32(t + 16, 0); /* checksum, urgent pointer */
    if (flags & SYN) {
        t[20] = 2, t[21] = 4; /* MSS option */
        put16(t + 22, TCP_MSS_LOCAL);
    }
    for (uint32_t i = 0; i < len; i++)
        t[hlen + i] = data_from->tx[(data_from->tx_head + data_off + i) % TCP_TX_BUF];
    uint16_t total = (uint16_t)(hlen + len);
    put16(t + 16, ip_checksum(t, total, ip_pseudo_sum(net_if.ip, rip, IP_PROTO_TCP, total)));
    ip_send(frame, rip, IP_PROTO_TCP, total);
}

static void send_segment(struct tcp_conn *c, uint32_t seq, uint8_t flags, uint32_t data_off, uint32_t len)
{
    c->adv_wnd = rx_free(c);
    send_raw(c->rip, c->lport, c->rport, seq, c->rcv_nxt, flags | ACK, (uint16_t)c->adv_wnd, c, data_off, len);
}

static void send_ack(struct tcp_conn *c)
{
    send_segment(c, c->snd_nxt, 0, 0, 0);
}

static void arm_rtx(struct tcp_conn *c)
{
    c->rtx_at = net_now_ms() + c->rto;
}

/* May we still send data or FIN? */
static int sending_state(enum state s)
{
    return s == ESTABLISHED || s == CLOSE_WAIT || s == FIN_WAIT_1 || s == LAST_ACK || s == CLOSING;
}

/* Sends what the peer's window allows, then FIN when everything is out. */
static void output(struct tcp_conn *c)
{
    if (!sending_state(c->state))
        return;
    for (;;) {
        uint32_t off = c->snd_nxt - c->snd_una;
        if (off > c->tx_len)
            return; /* our FIN is out already */
        uint32_t unsent = c->tx_len - off;
        uint32_t wnd_end = c->snd_una + c->snd_wnd;
        uint32_t room = SEQ_LT(c->snd_nxt, wnd_end) ? wnd_end - c->snd_nxt : 0;
        uint32_t n = unsent < room ? unsent : room;
        if (n > c->mss)
            n = c->mss;
        if (n > 0) {
            send_segment(c, c->snd_nxt, n == unsent ? PSH : 0, off, n);
            if (!c->timing) {
                c->timing = 1;
                c->rtt_seq = c->snd_nxt;
                c->rtt_start = net_now_ms();
            }
            c->snd_nxt += n;
            if (!c->rtx_at)
                arm_rtx(c);
            continue;
        }
        if (unsent == 0 && c->fin_wanted && !c->fin_sent) {
            c->fin_seq = c->snd_nxt;
            send_segment(c, c->snd_nxt, FIN, 0, 0);
            c->snd_nxt++;
            c->fin_sent = 1;
            if (c->state == ESTABLISHED)
                c->state = FIN_WAIT_1;
            else if (c->state == CLOSE_WAIT)
                c->state = LAST_ACK;
            if (!c->rtx_at)
                arm_rtx(c);
        } else if (unsent > 0 && c->snd_wnd == 0 && !c->rtx_at) {
            arm_rtx(c); /* the timer probes the zero window */
        }
        return;
    }
}

/* ---- connection life ---------------------------------------------------- */

static void release(struct tcp_conn *c)
{
    memset(c, 0, offsetof(struct tcp_conn, rx));
    c->rx_head = c->rx_len = c->tx_head = c->tx_len = 0;
    c->rtx_at = 0;
    c->state = CLOSED;
}

/* The connection is over (reset, timed out, or finished): an owned one
 * stays allocated, dead, until the application lets go of it. */
static void finish(struct tcp_conn *c)
{
    if (c->owned) {
        c->dead = 1;
        c->state = CLOSED;
        c->rtx_at = 0;
    } else {
        release(c);
    }
}

static void send_reset_for(uint32_t src, const uint8_t *t, uint32_t seg_len)
{
    uint8_t flags = t[13];
    if (flags & RST)
        return;
    if (flags & ACK)
        send_raw(src, get16(t + 2), get16(t), get32(t + 8), 0, RST, 0, NULL, 0, 0);
    else
        send_raw(src, get16(t + 2), get16(t), 0, get32(t + 4) + seg_len, RST | ACK, 0, NULL, 0, 0);
}

static void rtt_sample(struct tcp_conn *c, uint32_t ms)
{
    if (c->srtt == 0) {
        c->srtt = ms ? ms : 1;
        c->rttvar = ms / 2;
    } else {
        uint32_t diff = c->srtt > ms ? c->srtt - ms : ms - c->srtt;
        c->rttvar = (3 * c->rttvar + diff) / 4;
        c->srtt = (7 * c->srtt + ms) / 8;
    }
    uint32_t rto = c->srtt + 4 * c->rttvar;
    c->rto = rto < TCP_RTO_MIN ? TCP_RTO_MIN : rto > TCP_RTO_MAX ? TCP_RTO_MAX : rto;
}

/* An acknowledgement in (snd_una, snd_nxt]. */
static void acknowledge(struct tcp_conn *c, uint32_t ack)
{
    uint32_t n = ack - c->snd_una;
    if (c->snd_una == c->iss)
        n--; /* our SYN */
    if (c->fin_sent && SEQ_LT(c->fin_seq, ack))
        n--; /* our FIN */
    if (n > c->tx_len)
        n = c->tx_len;
    c->tx_head = (c->tx_head + n) % TCP_TX_BUF;
    c->tx_len -= n;
    c->snd_una = ack;
    if (c->timing && SEQ_LT(c->rtt_seq, ack)) {
        c->timing = 0;
        rtt_sample(c, (uint32_t)(net_now_ms() - c->rtt_start));
    }
    c->retries = 0;
    c->rtx_at = 0;
    if (c->snd_una != c->snd_nxt)
        arm_rtx(c);
}

static struct tcp_conn *find(uint32_t rip, uint16_t rport, uint16_t lport)
{
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        struct tcp_conn *c = &conns[i];
        if (c->state != CLOSED && c->rip == rip && c->rport == rport && c->lport == lport)
            return c;
    }
    return NULL;
}

/* A slot for a new connection: a free one, else the finished connection
 * that has waited longest in TIME_WAIT (the server closes first after
 * `Connection: close`, so a burst of clients fills the table with them;
 * their quiet time is cut short rather than new clients refused). */
static struct tcp_conn *free_slot(void)
{
    struct tcp_conn *waiting = NULL;
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        struct tcp_conn *c = &conns[i];
        if (c->owned)
            continue;
        if (c->state == CLOSED)
            return c;
        if (c->state == TIME_WAIT && (!waiting || c->deadline < waiting->deadline))
            waiting = c;
    }
    return waiting;
}

/* A SYN for the listening port: a new connection in SYN_RCVD. */
static void passive_open(uint32_t src, const uint8_t *t, size_t hlen)
{
    struct tcp_conn *c = free_slot();
    if (!c) {
        send_reset_for(src, t, 1); /* full: refuse rather than queue */
        return;
    }
    release(c);
    c->rip = src;
    c->rport = get16(t);
    c->lport = get16(t + 2);
    c->rcv_nxt = get32(t + 4) + 1;
    c->iss = net_random();
    c->snd_una = c->iss;
    c->snd_nxt = c->iss + 1;
    c->snd_wnd = get16(t + 14);
    c->snd_wl1 = get32(t + 4);
    c->mss = TCP_MSS_DEFAULT;
    for (size_t i = TCP_HDR_LEN; i < hlen;) { /* options: only MSS matters */
        uint8_t kind = t[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= hlen || t[i + 1] < 2 || i + t[i + 1] > hlen)
            break;
        if (kind == 2 && t[i + 1] == 4) {
            uint16_t m = get16(t + i + 2);
            c->mss = m < 64 ? 64 : m > TCP_MSS_LOCAL ? TCP_MSS_LOCAL : m;
        }
        i += t[i + 1];
    }
    c->rto = TCP_RTO_INITIAL;
    c->state = SYN_RCVD;
    send_segment(c, c->iss, SYN, 0, 0);
    arm_rtx(c);
}

/* ---- input ------------------------------------------------------------- */

/* The part of a segment's data and FIN we can take now; 0 if none (its
 * start is beyond rcv_nxt, or it is all old). Trims old bytes in front. */
static int usable(struct tcp_conn *c, uint32_t *seq, const uint8_t **data, uint32_t *len, int *fin)
{
    if (SEQ_LT(c->rcv_nxt, *seq))
        return 0; /* out of order */
    uint32_t old = c->rcv_nxt - *seq;
    if (old > *len)
        return 0; /* all of it, FIN included, arrived before */
    *seq += old;
    *data += old;
    *len -= old;
    return *len > 0 || *fin;
}

void tcp_input(uint32_t src, uint32_t dst, const uint8_t *t, size_t len)
{
    if (len < TCP_HDR_LEN || len > 65535 || ip_checksum(t, len, ip_pseudo_sum(src, dst, IP_PROTO_TCP, (uint16_t)len)))
        return;
    size_t hlen = (size_t)(t[12] >> 4) * 4;
    if (hlen < TCP_HDR_LEN || hlen > len)
        return;
    uint8_t flags = t[13];
    uint32_t seq = get32(t + 4), ack = get32(t + 8);
    const uint8_t *data = t + hlen;
    uint32_t dlen = (uint32_t)(len - hlen);
    int fin = (flags & FIN) != 0;
    struct tcp_conn *c = find(src, get16(t), get16(t + 2));
    if (!c) {
        if ((flags & (SYN | ACK | RST)) == SYN && listen_port && get16(t + 2) == listen_port)
            passive_open(src, t, hlen);
        else
            send_reset_for(src, t, dlen + (flags & SYN ? 1 : 0) + (uint32_t)fin);
        return;
    }
    if (flags & RST) {
        /* In-window only, so a blind reset must guess the sequence. */
        uint32_t wnd = rx_free(c) ? rx_free(c) : 1;
        if (SEQ_LE(c->rcv_nxt, seq) && SEQ_LT(seq, c->rcv_nxt + wnd))
            finish(c);
        return;
    }
    if (flags & SYN) {
        if (c->state == SYN_RCVD && seq + 1 == c->rcv_nxt)
            send_segment(c, c->iss, SYN, 0, 0); /* our SYN-ACK was lost */
        else
            send_ack(c); /* challenge ACK (RFC 5961) */
        return;
    }
    if (!(flags & ACK))
        return;
    if (c->state == SYN_RCVD) {
        if (ack != c->iss + 1) {
            send_reset_for(src, t, dlen + (uint32_t)fin);
            return;
        }
        c->state = ESTABLISHED;
        c->snd_wl1 = seq - 1;
    }
    if (SEQ_LT(c->snd_nxt, ack)) {
        send_ack(c); /* acknowledges what we never sent */
        return;
    }
    if (SEQ_LT(c->snd_una, ack))
        acknowledge(c, ack);
    if (SEQ_LT(c->snd_wl1, seq) || (c->snd_wl1 == seq && SEQ_LE(c->snd_wl2, ack))) {
        c->snd_wnd = get16(t + 14);
        c->snd_wl1 = seq;
        c->snd_wl2 = ack;
    }
    int fin_acked = c->fin_sent && SEQ_LT(c->fin_seq, c->snd_una);
    if (fin_acked) {
        if (c->state == FIN_WAIT_1)
            c->state = FIN_WAIT_2;
        else if (c->state == CLOSING) {
            c->state = TIME_WAIT;
            c->deadline = net_now_ms() + TCP_TIME_WAIT_MS;
        } else if (c->state == LAST_ACK) {
            finish(c);
            return;
        }
    }
    if (c->state == TIME_WAIT) {
        if (dlen || fin)
            send_ack(c);
        return;
    }
    int receiving = c->state == ESTABLISHED || c->state == FIN_WAIT_1 || c->state == FIN_WAIT_2;
    if (receiving && (dlen || fin)) {
        if (usable(c, &seq, &data, &dlen, &fin)) {
            uint32_t room = TCP_RX_BUF - c->rx_len, take = dlen;
            if (c->fin_wanted && !c->owned) {
                room = take; /* closed by the application: discard what comes */
            } else {
                if (take > room)
                    take = room;
                for (uint32_t i = 0; i < take; i++)
                    c->rx[(c->rx_head + c->rx_len + i) % TCP_RX_BUF] = data[i];
                c->rx_len += take;
            }
            c->rcv_nxt += take;
            if (fin && take == dlen) {
                c->rcv_nxt++;
                if (c->state == ESTABLISHED) {
                    c->state = CLOSE_WAIT;
                } else if (c->state == FIN_WAIT_2 || (c->state == FIN_WAIT_1 && fin_acked)) {
                    c->state = TIME_WAIT;
                    c->deadline = net_now_ms() + TCP_TIME_WAIT_MS;
                } else {
                    c->state = CLOSING;
                }
            }
        }
        send_ack(c);
    } else if (!receiving && (dlen || fin)) {
        send_ack(c); /* after their FIN: repeat what we have */
    }
    output(c);
}

/* ---- timers -------------------------------------------------------------- */

static void timeout(struct tcp_conn *c)
{
    if (++c->retries > TCP_MAX_RETRIES) {
        send_segment(c, c->snd_nxt, RST, 0, 0);
        finish(c);
        return;
    }
    c->timing = 0; /* Karn: no RTT sample from a retransmitted segment */
    c->rto = c->rto * 2 > TCP_RTO_MAX ? TCP_RTO_MAX : c->rto * 2;
    c->rtx_at = 0;
    if (c->state == SYN_RCVD) {
        send_segment(c, c->iss, SYN, 0, 0);
        arm_rtx(c);
        return;
    }
    /* Go back to the oldest unacknowledged byte; a zero window gets a
     * one-byte probe. */
    c->snd_nxt = c->snd_una;
    if (c->fin_sent && !SEQ_LT(c->fin_seq, c->snd_una))
        c->fin_sent = 0;
    if (c->snd_wnd == 0 && c->tx_len > 0) {
        send_segment(c, c->snd_nxt, 0, 0, 1);
        c->snd_nxt++;
        arm_rtx(c);
        return;
    }
    output(c);
    if (!c->rtx_at && c->snd_una != c->snd_nxt)
        arm_rtx(c);
}

void tcp_tick(void)
{
    uint64_t now = net_now_ms();
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        struct tcp_conn *c = &conns[i];
        if (c->state == CLOSED)
            continue;
        if (c->state == TIME_WAIT) {
            if (now >= c->deadline)
                finish(c);
        } else if (!c->owned && c->fin_wanted && now >= c->deadline) {
            send_segment(c, c->snd_nxt, RST, 0, 0); /* lingered too long */
            finish(c);
        } else if (c->rtx_at && now >= c->rtx_at) {
            timeout(c);
        }
    }
}

/* ---- the application's calls ------------------------------------------------ */

int tcp_listen(uint16_t port)
{
    if (port == 0)
        return -1;
    uint32_t f = net_lock();
    listen_port = port;
    net_unlock(f);
    return 0;
}

void tcp_unlisten(void)
{
    uint32_t f = net_lock();
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        struct tcp_conn *c = &conns[i];
        if (c->state != CLOSED && !c->owned && !c->fin_wanted && c->lport == listen_port) {
            send_segment(c, c->snd_nxt, RST, 0, 0);
            release(c);
        }
    }
    listen_port = 0;
    net_unlock(f);
}

tcp_conn *tcp_accept(void)
{
    uint32_t f = net_lock();
    struct tcp_conn *got = NULL;
    for (int i = 0; i < TCP_MAX_CONNS && !got; i++) {
        struct tcp_conn *c = &conns[i];
        if ((c->state == ESTABLISHED || c->state == CLOSE_WAIT) && !c->owned && !c->fin_wanted &&
            c->lport == listen_port) {
            c->owned = 1;
            got = c;
        }
    }
    net_unlock(f);
    return got;
}

size_t tcp_read(tcp_conn *c, void *buf, size_t n)
{
    uint32_t f = net_lock();
    if (n > c->rx_len)
        n = c->rx_len;
    uint8_t *out = buf;
    for (size_t i = 0; i < n; i++)
        out[i] = c->rx[(c->rx_head + i) % TCP_RX_BUF];
    c->rx_head = (uint32_t)((c->rx_head + n) % TCP_RX_BUF);
    c->rx_len -= (uint32_t)n;
    /* Tell the peer when the window has opened by a segment or more. */
    if (n && !c->dead && (c->state == ESTABLISHED || c->state == FIN_WAIT_1 || c->state == FIN_WAIT_2) &&
        rx_free(c) >= c->adv_wnd + c->mss)
        send_ack(c);
    net_unlock(f);
    return n;
}

size_t tcp_readable(tcp_conn *c)
{
    uint32_t f = net_lock();
    size_t n = c->rx_len;
    net_unlock(f);
    return n;
}

size_t tcp_write(tcp_conn *c, const void *data, size_t n)
{
    uint32_t f = net_lock();
    if (c->dead || c->fin_wanted || (c->state != ESTABLISHED && c->state != CLOSE_WAIT)) {
        net_unlock(f);
        return 0;
    }
    if (n > TCP_TX_BUF - c->tx_len)
        n = TCP_TX_BUF - c->tx_len;
    const uint8_t *in = data;
    for (size_t i = 0; i < n; i++)
        c->tx[(c->tx_head + c->tx_len + i) % TCP_TX_BUF] = in[i];
    c->tx_len += (uint32_t)n;
    output(c);
    net_unlock(f);
    return n;
}

size_t tcp_unacked(tcp_conn *c)
{
    uint32_t f = net_lock();
    size_t n = c->tx_len;
    net_unlock(f);
    return n;
}

enum tcp_status tcp_status(tcp_conn *c)
{
    uint32_t f = net_lock();
    enum tcp_status s = c->dead || c->state == CLOSED ? TCP_DEAD
                      : c->state == CLOSE_WAIT || c->state == LAST_ACK || c->state == CLOSING ||
                                c->state == TIME_WAIT
                          ? TCP_PEER_CLOSED
                          : TCP_OPEN;
    net_unlock(f);
    return s;
}

void tcp_peer(tcp_conn *c, uint32_t *ip, uint16_t *port)
{
    *ip = c->rip;
    *port = c->rport;
}

void tcp_close(tcp_conn *c)
{
    uint32_t f = net_lock();
    c->owned = 0;
    if (c->dead || c->state == CLOSED) {
        release(c);
    } else {
        c->fin_wanted = 1;
        c->rx_len = 0; /* unread input is dropped from now on */
        c->deadline = net_now_ms() + TCP_LINGER_MS;
        output(c);
    }
    net_unlock(f);
}

void tcp_abort(tcp_conn *c)
{
    uint32_t f = net_lock();
    if (!c->dead && c->state != CLOSED)
        send_segment(c, c->snd_nxt, RST, 0, 0);
    release(c);
    net_unlock(f);
}

int tcp_count(void)
{
    uint32_t f = net_lock();
    int n = 0;
    for (int i = 0; i < TCP_MAX_CONNS; i++)
        n += conns[i].state != CLOSED || conns[i].owned;
    net_unlock(f);
    return n;
}
