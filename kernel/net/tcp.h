/* tcp.h: TCP (RFC 793/9293) for a server: passive open on one listening
 * port, retransmission with an adaptive timeout (RFC 6298, Karn's rule),
 * flow control both ways (receive window = free buffer space; the peer's
 * window respected, probed when zero), orderly close, resets, and a fixed
 * pool of connections with every state bounded in time, so a peer that
 * vanishes leaves nothing behind.
 *
 * The stack side (tcp_input, tcp_tick) runs with interrupts off; every
 * application call below takes net_lock itself. A connection handed out by
 * tcp_accept belongs to the application until tcp_close or tcp_abort,
 * whatever happens on the wire meanwhile (it then reads as TCP_DEAD). */
#ifndef NET_TCP_H
#define NET_TCP_H
#include <stddef.h>
#include <stdint.h>

#define TCP_MAX_CONNS 32
#define TCP_RX_BUF 16384
#define TCP_TX_BUF 32768

typedef struct tcp_conn tcp_conn;

enum tcp_status {
    TCP_OPEN,        /* data may flow both ways */
    TCP_PEER_CLOSED, /* the peer sent FIN: what is buffered is all there is */
    TCP_DEAD         /* reset, or timed out: nothing more will arrive or leave */
};

/* Listens on one port (a second call replaces the first); 0 or -1. */
int tcp_listen(uint16_t port);
/* Stops listening; connections not yet accepted are reset. */
void tcp_unlisten(void);
/* The next established connection not yet handed out, or NULL. */
tcp_conn *tcp_accept(void);

/* Copies up to n received bytes; returns how many (0: none yet). */
size_t tcp_read(tcp_conn *c, void *buf, size_t n);
size_t tcp_readable(tcp_conn *c);
/* Queues up to n bytes for sending; returns how many fit (0 when the
 * buffer is full or the connection cannot send any more). */
size_t tcp_write(tcp_conn *c, const void *data, size_t n);
/* Bytes queued and not yet acknowledged by the peer. */
size_t tcp_unacked(tcp_conn *c);
enum tcp_status tcp_status(tcp_conn *c);
/* Remote address and port. */
void tcp_peer(tcp_conn *c, uint32_t *ip, uint16_t *port);

/* Sends FIN after the queued data and gives the connection back to the
 * stack (it finishes the handshake, then frees it). */
void tcp_close(tcp_conn *c);
/* Sends RST and frees the connection at once. */
void tcp_abort(tcp_conn *c);

/* Connections in use (any state but closed). */
int tcp_count(void);

void tcp_input(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len);
void tcp_tick(void);

#endif
