/*
 * tpcli.c -- a small driver of the transport interface for the shell tests
 * in tests/transport/ (and for measuring throughput by hand).
 *
 *   tpcli [-i IDENTITY] [-k KNOWN_HOSTS] [-f FINGERPRINT] [-t TIMEOUT_S]
 *         [-b BYTES_PER_S] [-c CHUNK] [-v] URL CMD ARGS [';' CMD ARGS]...
 *
 * URL is sftp://... or file:///dir.  Commands run in order on one
 * transport (so reconnection can be tested); after each one a line
 * "tpcli: CMD: rc=R errkind=KIND" goes to stderr.  The exit status is that
 * of the last command: 0 ok, 1 "not there / already there", 3 error, 2
 * usage.  The first error stops the run unless -K (keep going) is given.
 *
 *   put LOCAL REMOTE     upload LOCAL as REMOTE the way the agent does:
 *                        REMOTE's dir/.gstmp-<random>, write, commit,
 *                        rename without overwrite; on failure the upload
 *                        is aborted and the temporary left behind
 *   create LOCAL REMOTE  upload LOCAL straight to REMOTE (no rename)
 *   get REMOTE LOCAL     read the whole file
 *   read REMOTE OFF LEN  read LEN bytes at OFF to stdout
 *   stat PATH            print the size
 *   ls DIR               print "name size f|d" lines
 *   mkdir PATH | rm PATH | rmdir PATH | rename FROM TO
 *   touch LOCALPATH      create an empty local file (a signal to a script)
 *   waitfor LOCALPATH    wait (up to 60 s) until LOCALPATH exists
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/config.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"
#include "tpargs.h"

static size_t chunk = 1024 * 1024;
static int verbose;

static const char *
kind_name(int k)
{
	switch (k) {
	case GS_TP_ERR_NONE:
		return "NONE";
	case GS_TP_ERR_IO:
		return "IO";
	case GS_TP_ERR_REFUSED:
		return "REFUSED";
	case GS_TP_ERR_CONFIG:
		return "CONFIG";
	case GS_TP_ERR_SPACE:
		return "SPACE";
	case GS_TP_ERR_EXISTS:
		return "EXISTS";
	default:
		return "?";
	}
}

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr,
	        "usage: tpcli [-i identity] [-k known_hosts] [-f fingerprint] [-t timeout_s]\n"
	        "             [-b bytes_per_s] [-c chunk] [-K] [-v] URL CMD ARGS [';' CMD "
	        "ARGS]...\n"
	        "commands: put LOCAL REMOTE | create LOCAL REMOTE | get REMOTE LOCAL |\n"
	        "          read REMOTE OFF LEN | stat PATH | ls DIR | mkdir PATH | rm PATH |\n"
	        "          rmdir PATH |\n"
	        "          rename FROM TO | touch LOCAL | waitfor LOCAL\n");
	exit(2);
}

static double
secs(void)
{
	return (double)gs_mono_ns() / 1e9;
}

/* upload(t, local, remote): create remote, copy local into it, commit. */
static int
upload(struct gs_transport *t, const char *local, const char *remote)
{
	struct gs_tp_file *f;
	uint8_t *buf;
	uint64_t total = 0;
	double t0 = secs();
	ssize_t r;
	int fd, rc = -1;

	if ((fd = open(local, O_RDONLY)) < 0) {
		fprintf(stderr, "tpcli: %s: %s\n", local, strerror(errno));
		return -1;
	}
	if ((buf = malloc(chunk)) == NULL) {
		close(fd);
		return -1;
	}
	if ((f = gs_tp_create(t, remote)) == NULL)
		goto out;
	for (;;) {
		size_t got = 0;

		while (got < chunk && (r = read(fd, buf + got, chunk - got)) > 0)
			got += (size_t)r;
		if (got == 0)
			break;
		if (gs_tp_write(f, buf, got)) {
			gs_tp_abort(f);
			goto out;
		}
		total += got;
	}
	if (gs_tp_commit(f))
		goto out;
	if (verbose) {
		double dt = secs() - t0;

		fprintf(stderr, "tpcli: wrote %llu bytes in %.2f s: %.1f MB/s\n",
		        (unsigned long long)total, dt, dt > 0 ? (double)total / dt / 1e6 : 0.0);
	}
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static int
cmd_put(struct gs_transport *t, const char *local, const char *remote)
{
	const char *slash = strrchr(remote, '/');
	uint8_t rnd[8];
	char hex[17], tmp[4200];
	int rc;

	randombytes_buf(rnd, sizeof(rnd));
	gs_hex(hex, rnd, sizeof(rnd));
	if (slash)
		snprintf(tmp, sizeof(tmp), "%.*s/" GS_TMP_PREFIX "%s", (int)(slash - remote),
		         remote, hex);
	else
		snprintf(tmp, sizeof(tmp), GS_TMP_PREFIX "%s", hex);
	if (upload(t, local, tmp))
		return -1;
	if ((rc = gs_tp_rename(t, tmp, remote)) == 1)
		fprintf(stderr, "tpcli: %s already exists; %s left behind\n", remote, tmp);
	return rc;
}

static int
cmd_get(struct gs_transport *t, const char *remote, const char *local)
{
	uint8_t *buf;
	size_t len;
	double t0 = secs();
	FILE *f;
	int rc;

	if ((rc = gs_tp_read_all(t, remote, (size_t)1 << 34, &buf, &len)) != 0)
		return rc;
	if (verbose) {
		double dt = secs() - t0;

		fprintf(stderr, "tpcli: read %zu bytes in %.2f s: %.1f MB/s\n", len, dt,
		        dt > 0 ? (double)len / dt / 1e6 : 0.0);
	}
	if ((f = fopen(local, "wb")) == NULL || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "tpcli: write %s: %s\n", local, strerror(errno));
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

static int
cmd_read(struct gs_transport *t, const char *remote, const char *off, const char *len)
{
	uint64_t o, n;
	uint8_t *buf;
	int rc;

	if (gs_parse_uint(off, UINT64_MAX, &o) || gs_parse_uint(len, (uint64_t)1 << 32, &n))
		usage();
	if ((buf = malloc((size_t)n + 1)) == NULL)
		return -1;
	if ((rc = gs_tp_read(t, remote, o, (size_t)n, buf)) == 0)
		fwrite(buf, 1, (size_t)n, stdout);
	free(buf);
	return rc;
}

static int
cmd_ls(struct gs_transport *t, const char *dir)
{
	struct gs_tp_entry *v;
	size_t n, i;
	int rc;

	if ((rc = gs_tp_list(t, dir, &v, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		printf("%s %llu %c\n", v[i].name, (unsigned long long)v[i].size,
		       v[i].is_dir ? 'd' : 'f');
	gs_tp_list_free(v, n);
	return 0;
}

static int
cmd_waitfor(const char *path)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	double end = secs() + 60;

	while (access(path, F_OK) != 0) {
		if (secs() > end) {
			fprintf(stderr, "tpcli: waitfor %s: timed out\n", path);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* run(t, argv, argc): one command; its rc (0, 1, -1). */
static int
run(struct gs_transport *t, char **a, int n)
{
	const char *c = a[0];
	uint64_t size;
	int rc, fd;

#define NEED(k)                                                                                    \
	do {                                                                                       \
		if (n != (k) + 1)                                                                  \
			usage();                                                                   \
	} while (0)
	if (strcmp(c, "put") == 0) {
		NEED(2);
		return cmd_put(t, a[1], a[2]);
	} else if (strcmp(c, "create") == 0) {
		NEED(2);
		return upload(t, a[1], a[2]);
	} else if (strcmp(c, "get") == 0) {
		NEED(2);
		return cmd_get(t, a[1], a[2]);
	} else if (strcmp(c, "read") == 0) {
		NEED(3);
		return cmd_read(t, a[1], a[2], a[3]);
	} else if (strcmp(c, "stat") == 0) {
		NEED(1);
		if ((rc = gs_tp_stat(t, a[1], &size)) == 0)
			printf("%llu\n", (unsigned long long)size);
		return rc;
	} else if (strcmp(c, "ls") == 0) {
		NEED(1);
		return cmd_ls(t, a[1]);
	} else if (strcmp(c, "mkdir") == 0) {
		NEED(1);
		return gs_tp_mkdir(t, a[1]);
	} else if (strcmp(c, "rm") == 0) {
		NEED(1);
		return gs_tp_delete(t, a[1]);
	} else if (strcmp(c, "rmdir") == 0) {
		NEED(1);
		return gs_tp_rmdir(t, a[1]);
	} else if (strcmp(c, "rename") == 0) {
		NEED(2);
		return gs_tp_rename(t, a[1], a[2]);
	} else if (strcmp(c, "touch") == 0) {
		NEED(1);
		if ((fd = open(a[1], O_WRONLY | O_CREAT, 0644)) < 0)
			return -1;
		close(fd);
		return 0;
	} else if (strcmp(c, "waitfor") == 0) {
		NEED(1);
		return cmd_waitfor(a[1]);
	}
	usage();
	return -1;
}

int
main(int argc, char **argv)
{
	struct gs_remote_conf rc;
	struct gs_transport *t;
	uint64_t v;
	int opt, keep_going = 0, r = 0, i, start;

	gs_set_progname("tpcli");
	if (sodium_init() < 0)
		return 3;
	tpargs_init(&rc, "remote");
	while ((opt = getopt(argc, argv, TPARGS_OPTS "t:b:c:Kv")) != -1) {
		if (tpargs_opt(&rc, opt, optarg))
			continue;
		switch (opt) {
		case 't':
			if (gs_parse_uint(optarg, 86400, &v) || v == 0)
				usage();
			rc.timeout_s = (unsigned)v;
			break;
		case 'b':
			if (gs_parse_size(optarg, &rc.bandwidth_limit))
				usage();
			break;
		case 'c':
			if (gs_parse_size(optarg, &v) || v == 0 || v > (1u << 30))
				usage();
			chunk = (size_t)v;
			break;
		case 'K':
			keep_going = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	rc.url = argv[optind++];
	if ((t = gs_tp_open(&rc)) == NULL) {
		fprintf(stderr, "tpcli: open: rc=-1 errkind=%s\n",
		        kind_name(gs_tp_last_errkind(NULL)));
		return 3;
	}
	for (start = optind; start < argc; start = i + 1) {
		for (i = start; i < argc && strcmp(argv[i], ";") != 0; i++)
			;
		if (i == start)
			usage();
		r = run(t, argv + start, i - start);
		fprintf(stderr, "tpcli: %s: rc=%d errkind=%s\n", argv[start], r,
		        r < 0 ? kind_name(gs_tp_last_errkind(t)) : "NONE");
		fflush(stdout);
		if (r < 0 && !keep_going)
			break;
	}
	gs_tp_close(t);
	return r == 0 ? 0 : r == 1 ? 1 : 3;
}
