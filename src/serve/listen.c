#include "serve/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

sl_err sv_listen_parse(const char *s, sv_listen *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const char *colon = s ? strrchr(s, ':') : NULL;
    if (!s || !colon || colon == s)
        return sl_err_set(err, errlen, SL_ERR_ARG, "listen address '%.80s': expected ADDR:PORT, e.g. 127.0.0.1:8080",
                          s ? s : "");
    const char *ps = colon + 1;
    long port = 0;
    size_t pn = strlen(ps);
    bool ok = pn >= 1 && pn <= 5;
    for (size_t i = 0; ok && i < pn; i++) {
        ok = ps[i] >= '0' && ps[i] <= '9';
        port = port * 10 + (ps[i] - '0');
    }
    if (!ok || port > 65535)
        return sl_err_set(err, errlen, SL_ERR_ARG, "listen address '%.80s': port must be 0..65535", s);
    char host[64];
    size_t hn = (size_t)(colon - s);
    if (hn >= sizeof host) return sl_err_set(err, errlen, SL_ERR_ARG, "listen address '%.80s': address too long", s);
    memcpy(host, s, hn);
    host[hn] = '\0';
    out->port = (int)port;
    if (host[0] == '[') {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->ss;
        if (hn < 3 || host[hn - 1] != ']')
            return sl_err_set(err, errlen, SL_ERR_ARG, "listen address '%.80s': expected [IPv6]:PORT", s);
        host[hn - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return sl_err_set(err, errlen, SL_ERR_ARG, "listen address '%.80s': '%s' is not an IPv6 address", s,
                              host + 1);
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
            /* ::ffff:A.B.C.D is an IPv4 address: an IPv6-only socket cannot bind it (EINVAL),
             * so listen on A.B.C.D itself */
            struct in_addr v4;
            memcpy(&v4, a->sin6_addr.s6_addr + 12, 4);
            memset(&out->ss, 0, sizeof out->ss);
            struct sockaddr_in *a4 = (struct sockaddr_in *)&out->ss;
            a4->sin_family = AF_INET;
            a4->sin_addr = v4;
            a4->sin_port = htons((uint16_t)port);
            out->len = sizeof *a4;
            out->loopback = (ntohl(v4.s_addr) >> 24) == 127;
            inet_ntop(AF_INET, &v4, out->host, sizeof out->host);
            return SL_OK;
        }
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        out->len = sizeof *a;
        out->loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
        snprintf(out->host, sizeof out->host, "[%s]", host + 1);
        return SL_OK;
    }
    if (strchr(host, ':'))
        return sl_err_set(err, errlen, SL_ERR_ARG, "listen address '%.80s': write an IPv6 address in brackets, [::1]:8080",
                          s);
    struct sockaddr_in *a = (struct sockaddr_in *)&out->ss;
    const char *h = !strcmp(host, "localhost") ? "127.0.0.1" : host;
    if (inet_pton(AF_INET, h, &a->sin_addr) != 1)
        return sl_err_set(err, errlen, SL_ERR_ARG,
                          "listen address '%.80s': '%s' is not an IPv4 address (or [IPv6], localhost)", s, host);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    out->len = sizeof *a;
    out->loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    snprintf(out->host, sizeof out->host, "%s", h);
    return SL_OK;
}

sl_err sv_listen_open(const sv_listen *l, int *fd_out, int *port, char *err, size_t errlen) {
    *fd_out = -1;
    int fd = socket(l->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return sl_err_set(err, errlen, SL_ERR_IO, "cannot create a socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l->ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)&l->ss, l->len) != 0 || listen(fd, 256) != 0) {
        int e = errno;
        close(fd);
        const char *why = e == EADDRINUSE      ? "the address is already in use (another sluice serve?)"
                          : e == EACCES        ? "permission denied (ports below 1024 need privileges)"
                          : e == EADDRNOTAVAIL ? "the address is not available on this host"
                                               : strerror(e);
        return sl_err_set(err, errlen, SL_ERR_IO, "cannot listen on %s:%d: %s", l->host, l->port, why);
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        int e = errno;
        close(fd);
        return sl_err_set(err, errlen, SL_ERR_IO, "getsockname: %s", strerror(e));
    }
    *port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    *fd_out = fd;
    return SL_OK;
}
