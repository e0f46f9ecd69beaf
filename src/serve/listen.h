/* listen.h: the server's listen address: parsing "ADDR:PORT", the loopback
 * check, and the listening socket (bound here, not by libmicrohttpd, so that
 * errors are precise and the ephemeral port is known). */
#ifndef SV_LISTEN_H
#define SV_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "util/err.h"

typedef struct sv_listen {
    struct sockaddr_storage ss;
    socklen_t len;
    bool loopback;  /* 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 */
    char host[72];  /* as written in a URL: "127.0.0.1", "[::1]" */
    int port;
} sv_listen;

/* "A.B.C.D:PORT", "[IPv6]:PORT" or "localhost:PORT" (= 127.0.0.1), PORT
 * 0..65535 (0 = ephemeral). */
sl_err sv_listen_parse(const char *s, sv_listen *out, char *err, size_t errlen);
/* Bind and listen (SO_REUSEADDR, non-blocking, close-on-exec); *port = the
 * bound port. */
sl_err sv_listen_open(const sv_listen *l, int *fd, int *port, char *err, size_t errlen);

#endif
