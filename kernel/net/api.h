/* api.h: the OpenAI-compatible API (net/api.c), served by `serve`. */
#ifndef NET_API_H
#define NET_API_H
#include <stdint.h>

/* Serves the API on `port` until Ctrl+C; 0, or -1 after an error line. */
int api_serve(uint16_t port);

#endif
