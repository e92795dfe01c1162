/*
 * Benchmark client "raw": the physical floor. A plain blocking TCP socket (TCP_NODELAY), requests
 * written by hand, the response head found with memmem and its Content-Length parsed, the body
 * read with recv() into one fixed buffer. Keep-alive GET loop and download for rows 1 and 2; the
 * upload (send() of fixed-size pieces) is an informational floor for row 3.
 * Only Content-Length bodies (what nginx sends for static files and PUT replies) are handled.
 * See common.h for the command line and the output line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

struct conn {
    int fd;
    char *buf;
    size_t cap, start, end; /* unread bytes are buf[start..end) */
};

static int dial(const char *host, const char *port)
{
    struct addrinfo hints, *res, *ai;
    int fd = -1, one = 1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        bench_die("getaddrinfo");
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        bench_die("connect");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            bench_die("send");
        p += w;
        n -= (size_t)w;
    }
}

/* Reads more bytes into the buffer (compacting it first); returns 0 at EOF. */
static size_t fill(struct conn *c)
{
    ssize_t r;
    if (c->start == c->end)
        c->start = c->end = 0;
    if (c->end == c->cap && c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    if (c->end == c->cap)
        bench_die("response head larger than the buffer");
    do
        r = recv(c->fd, c->buf + c->end, c->cap - c->end, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        bench_die("recv");
    c->end += (size_t)r;
    return (size_t)r;
}

/* Reads one response (head and Content-Length body); returns the body length; checks the status. */
static unsigned long long read_response(struct conn *c, int ok1, int ok2)
{
    char *eoh;
    const char *p, *line;
    int status;
    unsigned long long length = 0, got;
    for (;;) {
        eoh = memmem(c->buf + c->start, c->end - c->start, "\r\n\r\n", 4);
        if (eoh)
            break;
        if (fill(c) == 0)
            bench_die("connection closed before the response head");
    }
    if (sscanf(c->buf + c->start, "HTTP/1.%*d %d", &status) != 1 || (status != ok1 && status != ok2))
        bench_die("unexpected status");
    for (line = c->buf + c->start; line < eoh; line = p + 2) {
        p = memmem(line, (size_t)(eoh + 2 - line), "\r\n", 2);
        if (!p)
            break;
        if ((size_t)(p - line) > 15 && strncasecmp(line, "Content-Length:", 15) == 0)
            length = strtoull(line + 15, NULL, 10);
    }
    c->start = (size_t)(eoh + 4 - c->buf);
    /* The body: what is buffered, then recv() straight into the whole buffer. */
    got = c->end - c->start < length ? c->end - c->start : length;
    c->start += got;
    while (got < length) {
        size_t n;
        c->start = c->end = 0;
        n = fill(c);
        if (n == 0)
            bench_die("connection closed in the body");
        if (got + n > length) { /* bytes of a next response: keep them */
            c->start = (size_t)(length - got);
            n = (size_t)(length - got);
        } else {
            c->start = c->end;
        }
        got += n;
    }
    return got;
}

int main(int argc, char **argv)
{
    char head[2048];
    struct conn c;
    struct bench_clock clk;
    int hlen;

    if (argc < 6) {
        fprintf(stderr, "usage: %s gets|download|upload HOST PORT PATH ARG [CHUNK]\n", argv[0]);
        return 2;
    }
    memset(&c, 0, sizeof(c));

    if (strcmp(argv[1], "gets") == 0) {
        unsigned long count = strtoul(argv[5], NULL, 10), i;
        unsigned long long bytes = 0;
        c.cap = 4096;
        c.buf = malloc(c.cap);
        c.fd = dial(argv[2], argv[3]);
        hlen = snprintf(head, sizeof(head),
                        "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\n\r\n", argv[4],
                        argv[2], argv[3]);
        send_all(c.fd, head, (size_t)hlen); /* warm-up */
        read_response(&c, 200, 200);
        bench_start(&clk);
        for (i = 0; i < count; i++) {
            send_all(c.fd, head, (size_t)hlen);
            bytes += read_response(&c, 200, 200);
        }
        bench_report(&clk, "gets", "raw", bytes, count);
    } else if (strcmp(argv[1], "download") == 0) {
        unsigned long long bytes;
        char row[32];
        /* "qda": the floor for WinHTTP's QueryDataAvailable loop: recv() into a 64 KiB buffer. */
        int qda = strcmp(argv[5], "qda") == 0;
        c.cap = qda ? 65536 : strtoul(argv[5], NULL, 10);
        c.buf = malloc(c.cap);
        if (!c.buf)
            bench_die("out of memory");
        if (qda)
            snprintf(row, sizeof(row), "downloadqda");
        else
            snprintf(row, sizeof(row), "download%luk", (unsigned long)(c.cap / 1024));
        bench_start(&clk);
        c.fd = dial(argv[2], argv[3]);
        hlen = snprintf(head, sizeof(head),
                        "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\n\r\n", argv[4],
                        argv[2], argv[3]);
        send_all(c.fd, head, (size_t)hlen);
        bytes = read_response(&c, 200, 200);
        bench_report(&clk, row, "raw", bytes, 1);
    } else if (strcmp(argv[1], "upload") == 0) {
        unsigned long long total = strtoull(argv[5], NULL, 10), sent = 0;
        size_t chunk = argc > 6 ? (size_t)strtoul(argv[6], NULL, 10) : 65536;
        char *piece = bench_pattern(chunk);
        c.cap = 4096;
        c.buf = malloc(c.cap);
        bench_start(&clk);
        c.fd = dial(argv[2], argv[3]);
        hlen = snprintf(head, sizeof(head),
                        "PUT %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\n"
                        "Content-Length: %llu\r\n\r\n",
                        argv[4], argv[2], argv[3], total);
        send_all(c.fd, head, (size_t)hlen);
        while (sent < total) {
            size_t n = total - sent < chunk ? (size_t)(total - sent) : chunk;
            send_all(c.fd, piece, n);
            sent += n;
        }
        read_response(&c, 201, 204);
        bench_report(&clk, "upload", "raw", sent, 1);
        free(piece);
    } else {
        bench_die("unknown mode");
    }
    close(c.fd);
    free(c.buf);
    return 0;
}
