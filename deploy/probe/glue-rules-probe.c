/*
 * glue-rules-probe: the container image's HEALTHCHECK, for an image without curl or a shell.
 *
 *   glue-rules-probe [/PATH | http://ADDR:PORT/PATH]
 *
 * GETs the URL and exits 0 when the answer's status is 2xx, 1 otherwise. Without an argument,
 * or with a path alone, the URL is http://<GLUE_RULES_LISTEN><PATH>: PATH defaults to /healthz,
 * an unspecified listen address (0.0.0.0, [::]) becomes loopback, and GLUE_RULES_LISTEN
 * defaults to 127.0.0.1:8080. So `glue-rules-probe /readyz` in a Kubernetes exec probe follows
 * the container's own listen address: kubelet's httpGet probes, which connect to the pod IP,
 * cannot reach a sidecar that listens on loopback only. ADDR must be a numeric IPv4 or
 * bracketed IPv6 address: no name resolution, no TLS, a 3 s deadline per step.
 *
 * A stop-gap until `glue-rules` has a health subcommand of its own; .ci/container builds it with
 * `cc -static -Os` into the image (about 700 KB).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int fail(const char *what, const char *detail) {
    fprintf(stderr, "glue-rules-probe: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

int main(int argc, char **argv) {
    char url[512];
    if (argc > 2) {
        return fail("usage: glue-rules-probe [/PATH | http://ADDR:PORT/PATH]", NULL);
    }
    if (argc == 2 && argv[1][0] != '/') {
        snprintf(url, sizeof url, "%s", argv[1]);
    } else {
        const char *want = argc == 2 ? argv[1] : "/healthz";
        const char *listen = getenv("GLUE_RULES_LISTEN");
        if (!listen || !*listen) listen = "127.0.0.1:8080";
        if (strncmp(listen, "0.0.0.0:", 8) == 0) {
            snprintf(url, sizeof url, "http://127.0.0.1:%s%s", listen + 8, want);
        } else if (strncmp(listen, "[::]:", 5) == 0) {
            snprintf(url, sizeof url, "http://[::1]:%s%s", listen + 5, want);
        } else {
            snprintf(url, sizeof url, "http://%s%s", listen, want);
        }
    }

    /* http://HOST:PORT/PATH, HOST numeric (IPv6 in brackets). */
    if (strncmp(url, "http://", 7) != 0) return fail("not an http:// URL", url);
    char *host = url + 7, *port, *path, *end;
    char path_buf[400];
    if (*host == '[') {
        end = strchr(host, ']');
        if (!end || end[1] != ':') return fail("want http://[ADDR]:PORT/PATH", url);
        *end = '\0';
        host++;
        port = end + 2;
    } else {
        port = strchr(host, ':');
        if (!port) return fail("want http://ADDR:PORT/PATH", url);
        *port++ = '\0';
    }
    path = strchr(port, '/');
    snprintf(path_buf, sizeof path_buf, "%s", path ? path : "/");
    if (path) *path = '\0';
    char *port_end;
    long port_number = strtol(port, &port_end, 10);
    if (*port_end || port_number <= 0 || port_number > 65535) return fail("bad port", port);

    struct sockaddr_storage addr;
    socklen_t addr_len;
    memset(&addr, 0, sizeof addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((unsigned short)port_number);
        addr_len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((unsigned short)port_number);
        addr_len = sizeof *v6;
    } else {
        return fail("not a numeric address", host);
    }

    int fd = socket(addr.ss_family, SOCK_STREAM, 0);
    if (fd < 0) return fail("socket", strerror(errno));
    struct timeval timeout = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, (struct sockaddr *)&addr, addr_len) != 0) return fail("connect", strerror(errno));

    char request[600];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%ld\r\nUser-Agent: glue-rules-probe\r\n"
                     "Connection: close\r\n\r\n",
                     path_buf, host, port_number);
    if (write(fd, request, (size_t)n) != n) return fail("write", strerror(errno));

    char answer[64];
    size_t got = 0;
    while (got < sizeof answer - 1) {
        ssize_t r = read(fd, answer + got, sizeof answer - 1 - got);
        if (r < 0) return fail("read", strerror(errno));
        if (r == 0) break;
        got += (size_t)r;
        if (memchr(answer, '\n', got)) break;
    }
    close(fd);
    answer[got] = '\0';
    /* "HTTP/1.1 200 OK" */
    if (got < 12 || strncmp(answer, "HTTP/1.", 7) != 0) return fail("not an HTTP answer", NULL);
    if (answer[9] != '2') {
        char *eol = strpbrk(answer, "\r\n");
        if (eol) *eol = '\0';
        return fail("unhealthy", answer);
    }
    return 0;
}
