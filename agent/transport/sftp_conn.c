/*
 * sftp_conn.c -- the SFTP transport's sessions: connecting (TCP with a
 * deadline, SSH handshake, host key, key-file authentication, the SFTP
 * channel), tearing down, reconnecting with backoff, and the mapping of
 * libssh2 and SFTP errors.  See sftp_internal.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "transport/sftp_internal.h"

/* Reconnection: attempts and the pause before each (about 15 s in all). */
static const unsigned backoff_ms[] = {0, 500, 1000, 2000, 4000, 8000};
#define NBACKOFF GS_NELEM(backoff_ms)
/* Default connect and I/O timeout, as in config.h. */
#define DEFAULT_TIMEOUT_S GS_CONFIG_DEFAULT_TIMEOUT_S
/* An identity file larger than this is not a private key. */
#define KEYFILE_MAX (64 * 1024)

/* Algorithms we accept, best first: no CBC, no SHA-1 MAC, no SHA-1 key
 * exchange.  libssh2 drops the names it lacks: 1.10 (Debian 12) has only
 * the CTR ciphers and plain HMACs, which it encrypts 16 bytes per
 * OpenSSL call (its upload speed is CPU-bound there); later versions also
 * offer the AEAD ciphers, which it encrypts a packet at a time, and the
 * encrypt-then-MAC HMACs. */
static const char kex_pref[] =
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
    "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
    "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256";
static const char crypt_pref[] = "aes128-gcm@openssh.com,aes256-gcm@openssh.com,"
                                 "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,aes192-ctr";
static const char mac_pref[] = "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
                               "hmac-sha2-256,hmac-sha2-512";

/* gs_tp_ssh_method_pref(s, type, want): prefer the algorithms of the comma
 * list want (best first) that this libssh2 has, leaving out the others
 * (libssh2 1.10 would strip unknown names itself, but with an overlapping
 * memcpy).  0, or -1 when it has none of them.  (sftp_conn.c) */
int
gs_tp_ssh_method_pref(LIBSSH2_SESSION *s, int type, const char *want)
{
	const char **algs = NULL, *w, *e;
	char buf[512];
	size_t n = 0, len;
	int na, i, rc;

	if ((na = libssh2_session_supported_algs(s, type, &algs)) <= 0)
		return -1;
	buf[0] = '\0';
	for (w = want; *w != '\0'; w = *e ? e + 1 : e) {
		if ((e = strchr(w, ',')) == NULL)
			e = w + strlen(w);
		len = (size_t)(e - w);
		for (i = 0; i < na; i++)
			if (strlen(algs[i]) == len && memcmp(algs[i], w, len) == 0)
				break;
		if (i == na || n + len + 2 > sizeof(buf))
			continue;
		if (n > 0)
			buf[n++] = ',';
		memcpy(buf + n, w, len);
		n += len;
		buf[n] = '\0';
	}
	libssh2_free(s, algs);
	if (n == 0)
		return -1;
	rc = libssh2_session_method_pref(s, type, buf);
	return rc == 0 ? 0 : -1;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void
init_libs(void)
{
	if (sodium_init() < 0 || libssh2_init(0) != 0)
		init_rc = -1;
}

/* gs_tp_sftp_why(t, kind, fmt, ...): record why the session failed or
 * died (t->why, t->why_kind); nothing is printed. */
void
gs_tp_sftp_why(struct tp_sftp *t, int kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	t->why_kind = kind;
}

/* gs_tp_sftp_ssh_why(t, kind, what): record libssh2's last error for what. */
void
gs_tp_sftp_ssh_why(struct tp_sftp *t, int kind, const char *what)
{
	char *msg = NULL;
	int rc = libssh2_session_last_error(t->sess, &msg, NULL, 0);

	gs_tp_sftp_why(t, kind, "%s: %s (libssh2 error %d)", what,
	               msg && *msg ? msg : "unknown error", rc);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* gs_tp_sftp_fx_str(code): the text of an SFTP status code. */
const char *
gs_tp_sftp_fx_str(unsigned long fx)
{
	switch (fx) {
	case LIBSSH2_FX_EOF:
		return "end of file";
	case LIBSSH2_FX_NO_SUCH_FILE:
	case LIBSSH2_FX_NO_SUCH_PATH:
		return "no such file or directory";
	case LIBSSH2_FX_PERMISSION_DENIED:
		return "permission denied";
	case LIBSSH2_FX_FAILURE:
		return "failure (the server gives no reason)";
	case LIBSSH2_FX_BAD_MESSAGE:
		return "bad message (name too long or invalid?)";
	case LIBSSH2_FX_OP_UNSUPPORTED:
		return "operation not supported by the server";
	case LIBSSH2_FX_FILE_ALREADY_EXISTS:
		return "file already exists";
	case LIBSSH2_FX_WRITE_PROTECT:
		return "read-only filesystem";
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
		return "no space left on the remote filesystem";
	case LIBSSH2_FX_QUOTA_EXCEEDED:
		return "quota exceeded";
	case LIBSSH2_FX_NOT_A_DIRECTORY:
		return "not a directory";
	default:
		return "error";
	}
}

/* gs_tp_sftp_fx_kind(code): the GS_TP_ERR_* kind of an SFTP status code. */
int
gs_tp_sftp_fx_kind(unsigned long fx)
{
	switch (fx) {
	case LIBSSH2_FX_PERMISSION_DENIED:
	case LIBSSH2_FX_WRITE_PROTECT:
		return GS_TP_ERR_REFUSED;
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
	case LIBSSH2_FX_QUOTA_EXCEEDED:
		return GS_TP_ERR_SPACE;
	case LIBSSH2_FX_FILE_ALREADY_EXISTS:
		return GS_TP_ERR_EXISTS;
	default:
		return GS_TP_ERR_IO;
	}
}

/* gs_tp_sftp_missing(code): 1 when the SFTP status says "no such file". */
int
gs_tp_sftp_missing(unsigned long fx)
{
	return fx == LIBSSH2_FX_NO_SUCH_FILE || fx == LIBSSH2_FX_NO_SUCH_PATH;
}

/*
 * gs_tp_sftp_status(t, rc, ret_fx): after a libssh2 call failed with rc: 0 and the
 * server's SFTP status in *ret_fx, or LOST (the session is unusable; the
 * reason recorded).
 */
int
gs_tp_sftp_status(struct tp_sftp *t, int rc, unsigned long *ret_fx)
{
	if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
		*ret_fx = libssh2_sftp_last_error(t->sftp);
		return 0;
	}
	gs_tp_sftp_ssh_why(t, GS_TP_ERR_IO, "connection lost");
	return LOST;
}

/* gs_tp_sftp_fx_fail(t, what, rpath, fx): warn about an SFTP status; -1. */
int
gs_tp_sftp_fx_fail(struct tp_sftp *t, const char *what, const char *rpath, unsigned long fx)
{
	gs_warn("%s: %s %s: %s (SFTP status %lu)", t->base.name, what, rpath, gs_tp_sftp_fx_str(fx),
	        fx);
	return gs_tp_fail(&t->base, gs_tp_sftp_fx_kind(fx));
}

/* gs_tp_sftp_rpath(t, rel): the remote path of rel (malloc'd). */
char *
gs_tp_sftp_rpath(struct tp_sftp *t, const char *rel)
{
	if (*rel == '\0')
		return gs_strdup(t->root);
	if (strcmp(t->root, "/") == 0)
		return gs_asprintf("/%s", rel);
	return gs_asprintf("%s/%s", t->root, rel);
}

/* ---- connecting ---------------------------------------------------- */

/*
 * tcp_connect(t): a connected, blocking TCP socket, or -1 (reason
 * recorded).  Tries every address of the host within one deadline.
 */
static int
tcp_connect(struct tp_sftp *t)
{
	struct addrinfo hints, *res, *ai;
	char port[16], addr[INET6_ADDRSTRLEN] = "?";
	int64_t deadline = gs_mono_ns() + (int64_t)t->timeout_s * 1000000000LL;
	int fd = -1, rc, err = 0, one = 1, flags;
	socklen_t len;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", t->port);
	if ((rc = getaddrinfo(t->host, port, &hints, &res)) != 0) {
		gs_tp_sftp_why(t, GS_TP_ERR_IO, "cannot resolve %s: %s", t->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd pfd;
		int64_t left;

		if (ai->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr,
			          sizeof(addr));
		else if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, addr,
			          sizeof(addr));
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		            ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			if (errno != EINPROGRESS) {
				err = errno;
				goto next;
			}
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do {
				left = (deadline - gs_mono_ns()) / 1000000;
				rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
			} while (rc < 0 && errno == EINTR);
			if (rc <= 0) {
				err = rc == 0 ? ETIMEDOUT : errno;
				goto next;
			}
			len = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
				err = errno;
			if (err != 0)
				goto next;
		}
		/* connected: libssh2 wants a blocking socket */
		if ((flags = fcntl(fd, F_GETFL)) < 0 ||
		    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
			err = errno;
			goto next;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		freeaddrinfo(res);
		return fd;
	next:
		close(fd);
		fd = -1;
		if (gs_mono_ns() >= deadline) {
			err = ETIMEDOUT;
			break;
		}
	}
	freeaddrinfo(res);
	if (err == ETIMEDOUT)
		gs_tp_sftp_why(t, GS_TP_ERR_IO, "connect to %s (%s) port %u: timed out after %u s",
		               t->host, addr, t->port, t->timeout_s);
	else
		gs_tp_sftp_why(t, GS_TP_ERR_IO, "connect to %s (%s) port %u: %s", t->host, addr,
		               t->port, strerror(err ? err : EHOSTUNREACH));
	return -1;
}

/*
 * check_identity(t, ret_rsa): the key file exists, is a regular file and
 * nobody but its owner may read it (as ssh refuses it otherwise).  Sets
 * *ret_rsa when it holds an RSA key (for a hint when the server refuses
 * it).  0 or -1 (reason recorded).  Never prints any of its contents.
 */
static int
check_identity(struct tp_sftp *t, int *ret_rsa)
{
	const char *id = t->rc->identity;
	struct stat st;
	uint8_t *buf, *bin;
	const char *b, *e;
	size_t n, blen;
	FILE *f;

	*ret_rsa = 0;
	if (id == NULL) {
		gs_tp_sftp_why(t, GS_TP_ERR_CONFIG, "no identity (key file) configured");
		return -1;
	}
	if (stat(id, &st) != 0) {
		gs_tp_sftp_why(t, GS_TP_ERR_CONFIG, "identity %s: %s", id, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		gs_tp_sftp_why(t, GS_TP_ERR_CONFIG, "identity %s: not a regular file", id);
		return -1;
	}
	if (st.st_mode & 077) {
		gs_tp_sftp_why(
		    t, GS_TP_ERR_CONFIG,
		    "identity %s is accessible by group or others (mode %04o): refusing to use "
		    "it (chmod 600 %s)",
		    id, (unsigned)(st.st_mode & 07777), id);
		return -1;
	}
	/* Which kind of key: only the public header, never shown. */
	if ((f = fopen(id, "re")) == NULL) {
		gs_tp_sftp_why(t, GS_TP_ERR_CONFIG, "identity %s: %s", id, strerror(errno));
		return -1;
	}
	if ((buf = sodium_malloc(KEYFILE_MAX + 1)) == NULL) {
		fclose(f);
		return 0;
	}
	n = fread(buf, 1, KEYFILE_MAX, f);
	fclose(f);
	buf[n] = '\0';
	if (strstr((char *)buf, "BEGIN RSA PRIVATE KEY") != NULL) {
		*ret_rsa = 1;
	} else if ((b = strstr((char *)buf, "BEGIN OPENSSH PRIVATE KEY-----")) != NULL &&
	           (e = strstr(b, "-----END")) != NULL &&
	           (bin = sodium_malloc(KEYFILE_MAX)) != NULL) {
		b += strlen("BEGIN OPENSSH PRIVATE KEY-----");
		/* the public key blob comes before the (maybe encrypted) rest */
		if (sodium_base642bin(bin, KEYFILE_MAX, b, (size_t)(e - b), " \t\r\n", &blen, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) == 0 &&
		    memmem(bin, blen < 512 ? blen : 512, "\0\0\0\7ssh-rsa", 11) != NULL)
			*ret_rsa = 1;
		sodium_free(bin);
	}
	sodium_free(buf);
	return 0;
}

static const char *
current_user(char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r(geteuid(), &pw, tmp, sizeof(tmp), &res) != 0 || res == NULL)
		return NULL;
	snprintf(buf, len, "%s", pw.pw_name);
	return buf;
}

/*
 * gs_tp_sftp_drop(t, dead): tear the session down.  dead: the connection is broken,
 * so shut the socket first and every libssh2 call below fails at once
 * instead of waiting for a timeout; else say goodbye.  Handles of open
 * files are freed (the files fail from now on).
 */
void
gs_tp_sftp_drop(struct tp_sftp *t, int dead)
{
	struct file_sftp *f;

	if (t->sess == NULL)
		return;
	if (dead)
		shutdown(t->sock, SHUT_RDWR);
	for (f = t->files; f != NULL; f = f->next) {
		if (f->h != NULL)
			libssh2_sftp_close_handle(f->h);
		f->h = NULL;
	}
	if (t->sftp != NULL)
		libssh2_sftp_shutdown(t->sftp);
	if (!dead)
		libssh2_session_disconnect(t->sess, "geosnap: done");
	libssh2_session_free(t->sess);
	gs_tp_sftp_mem_sweep(t);
	close(t->sock);
	t->sftp = NULL;
	t->sess = NULL;
	t->sock = -1;
	t->gen++;
}

/* gs_tp_sftp_keepalive(t, on): keepalives while waiting in libssh2 calls, or not
 * (around writes; see the top of the file). */
void
gs_tp_sftp_keepalive(struct tp_sftp *t, int on)
{
	libssh2_keepalive_config(t->sess, 1, on ? t->timeout_s : 0);
}

/*
 * connect_once(t, first): one attempt at a working SFTP session.  0, or -1
 * with the reason in t->why and its kind in t->why_kind (nothing printed:
 * the caller decides whether to try again).  first: also check the base
 * directory.
 */
static int
connect_once(struct tp_sftp *t, int first)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct gs_tp_kh *kh = NULL;
	char err[1024], *msg;
	int rc, rsa;

	if (check_identity(t, &rsa))
		return -1;
	if ((t->sock = tcp_connect(t)) < 0)
		return -1;
	if ((t->sess = libssh2_session_init_ex(gs_tp_sftp_mem_alloc, gs_tp_sftp_mem_free,
	                                       gs_tp_sftp_mem_realloc, t)) == NULL) {
		gs_tp_sftp_mem_sweep(t);
		gs_tp_sftp_why(t, GS_TP_ERR_IO, "libssh2_session_init failed");
		goto err0;
	}
	libssh2_session_set_blocking(t->sess, 1);
	libssh2_session_set_timeout(t->sess, (long)t->timeout_s * 1000);
	if (t->rc->known_hosts != NULL &&
	    (kh = gs_tp_kh_load(t->sess, t->rc->known_hosts, err, sizeof(err))) == NULL) {
		gs_tp_sftp_why(t, GS_TP_ERR_CONFIG, "%s", err);
		goto err1;
	}
	gs_tp_kh_prefer(kh, t->sess, t->khname);
	if (gs_tp_ssh_method_pref(t->sess, LIBSSH2_METHOD_KEX, kex_pref) ||
	    gs_tp_ssh_method_pref(t->sess, LIBSSH2_METHOD_CRYPT_CS, crypt_pref) ||
	    gs_tp_ssh_method_pref(t->sess, LIBSSH2_METHOD_CRYPT_SC, crypt_pref) ||
	    gs_tp_ssh_method_pref(t->sess, LIBSSH2_METHOD_MAC_CS, mac_pref) ||
	    gs_tp_ssh_method_pref(t->sess, LIBSSH2_METHOD_MAC_SC, mac_pref)) {
		gs_tp_sftp_ssh_why(t, GS_TP_ERR_IO, "setting the SSH algorithms");
		goto err2;
	}
	if ((rc = libssh2_session_handshake(t->sess, t->sock)) != 0) {
		/* a timeout or a dropped connection: worth another try */
		msg = NULL;
		libssh2_session_last_error(t->sess, &msg, NULL, 0);
		gs_tp_sftp_why(t, GS_TP_ERR_IO,
		               "SSH handshake with %s port %u failed: %s (libssh2 error %d)",
		               t->host, t->port, msg && *msg ? msg : "?", rc);
		goto err2;
	}
	/* The host key, before anything about us is sent. */
	if (gs_tp_hostkey_verify(t->sess, kh, t->rc->fingerprint, t->khname, err, sizeof(err))) {
		gs_tp_sftp_why(t, GS_TP_ERR_REFUSED, "%s", err);
		goto err3;
	}
	gs_tp_kh_free(kh);
	kh = NULL;
	rc = libssh2_userauth_publickey_fromfile_ex(t->sess, t->user, (unsigned)strlen(t->user),
	                                            NULL, t->rc->identity, NULL);
	if (rc != 0) {
		switch (rc) {
		case LIBSSH2_ERROR_FILE:
		case LIBSSH2_ERROR_METHOD_NOT_SUPPORTED:
			gs_tp_sftp_why(
			    t, GS_TP_ERR_CONFIG,
			    "identity %s cannot be used: passphrase-protected (not supported: "
			    "the agent runs unattended) or an unsupported key format (libssh2 "
			    "error %d)",
			    t->rc->identity, rc);
			break;
		case LIBSSH2_ERROR_AUTHENTICATION_FAILED:
		case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
			gs_tp_sftp_why(
			    t, GS_TP_ERR_REFUSED,
			    "%s refused the key %s for user %s (is its public half in the "
			    "user's authorized_keys?)%s",
			    t->khname, t->rc->identity, t->user,
			    rsa && libssh2_version(0x010b00) == NULL
			        ? "; this libssh2 signs RSA keys with SHA-1 (ssh-rsa), which "
			          "OpenSSH 8.8 and later refuse unless the server allows "
			          "PubkeyAcceptedAlgorithms +ssh-rsa: prefer an ed25519 key"
			        : "");
			break;
		default:
			gs_tp_sftp_ssh_why(t, GS_TP_ERR_IO, "authentication");
			break;
		}
		goto err3;
	}
	if ((t->sftp = libssh2_sftp_init(t->sess)) == NULL) {
		rc = libssh2_session_last_errno(t->sess);
		gs_tp_sftp_ssh_why(
		    t, rc == LIBSSH2_ERROR_CHANNEL_FAILURE ? GS_TP_ERR_REFUSED : GS_TP_ERR_IO,
		    "starting the SFTP subsystem on the server");
		goto err3;
	}
	gs_tp_sftp_keepalive(t, 1);
	if (first) {
		rc = libssh2_sftp_stat_ex(t->sftp, t->root, (unsigned)strlen(t->root),
		                          LIBSSH2_SFTP_STAT, &a);
		if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
			unsigned long fx = libssh2_sftp_last_error(t->sftp);

			gs_tp_sftp_why(
			    t, GS_TP_ERR_REFUSED,
			    "remote base directory %s on %s: %s (SFTP status %lu): check the url "
			    "(it must exist; geosnap does not create it)",
			    t->root, t->khname, gs_tp_sftp_fx_str(fx), fx);
			goto err4;
		} else if (rc != 0) {
			gs_tp_sftp_ssh_why(t, GS_TP_ERR_IO, "stat of the base directory");
			goto err4;
		}
		if ((a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
		    !LIBSSH2_SFTP_S_ISDIR(a.permissions)) {
			gs_tp_sftp_why(t, GS_TP_ERR_REFUSED,
			               "remote base %s on %s is not a directory", t->root,
			               t->khname);
			goto err4;
		}
	}
	return 0;
err4:
	libssh2_sftp_shutdown(t->sftp);
	t->sftp = NULL;
err3:
	libssh2_session_disconnect(t->sess, "geosnap: refused");
err2:
	gs_tp_kh_free(kh);
err1:
	libssh2_session_free(t->sess);
	gs_tp_sftp_mem_sweep(t);
	t->sess = NULL;
err0:
	close(t->sock);
	t->sock = -1;
	return -1;
}

/*
 * alive(t): between operations, take in what the server sent meanwhile and
 * see whether the SFTP channel is still open.  libssh2 1.10 would wait for
 * the I/O timeout on a channel the server closed (its sftp-server died),
 * so look first: reading the channel's stderr stream, which SFTP does not
 * use, without blocking makes libssh2 process pending packets (an EOF, a
 * close, a disconnect) without consuming any SFTP data.  1 if alive; 0
 * (reason recorded) if not.
 */
static int
alive(struct tp_sftp *t)
{
	LIBSSH2_CHANNEL *ch = libssh2_sftp_get_channel(t->sftp);
	char junk[256];
	ssize_t r;

	t->why_kind = GS_TP_ERR_NONE;
	libssh2_session_set_blocking(t->sess, 0);
	while ((r = libssh2_channel_read_stderr(ch, junk, sizeof(junk))) > 0)
		;
	libssh2_session_set_blocking(t->sess, 1);
	if (r < 0 && r != LIBSSH2_ERROR_EAGAIN) {
		gs_tp_sftp_ssh_why(t, GS_TP_ERR_IO, "connection lost");
		return 0;
	}
	if (libssh2_channel_eof(ch)) {
		gs_tp_sftp_why(t, GS_TP_ERR_IO, "the server closed the SFTP channel");
		return 0;
	}
	return 1;
}

/*
 * The servers (t->khname) this process gave up reconnecting to, and why:
 * once a whole backoff ran out, later connections to the same server (a
 * restore's other readers, the next tenant of a run) fail at once rather
 * than each waiting out its own backoff; a run that loses its remote ends
 * in bounded time.  The next run (a new process) tries again.
 */
#define DOWN_MAX 16
static pthread_mutex_t down_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *khname;
	char *why;
} down[DOWN_MAX];

/* down_mark(t): t's server gave up; remember it with t->why. */
static void
down_mark(const struct tp_sftp *t)
{
	size_t i;

	pthread_mutex_lock(&down_mu);
	for (i = 0; i < DOWN_MAX && down[i].khname != NULL; i++)
		if (strcmp(down[i].khname, t->khname) == 0)
			break;
	if (i < DOWN_MAX && down[i].khname == NULL) {
		down[i].khname = strdup(t->khname);
		down[i].why = strdup(t->why);
		if (down[i].khname == NULL || down[i].why == NULL) {
			free(down[i].khname);
			free(down[i].why);
			down[i].khname = down[i].why = NULL;
		}
	}
	pthread_mutex_unlock(&down_mu);
}

/* down_check(t): 1 (t->why set) when this process gave up on t's server. */
static int
down_check(struct tp_sftp *t)
{
	size_t i;
	int hit = 0;

	pthread_mutex_lock(&down_mu);
	for (i = 0; i < DOWN_MAX && down[i].khname != NULL; i++) {
		if (strcmp(down[i].khname, t->khname) == 0) {
			gs_tp_sftp_why(t, GS_TP_ERR_IO,
			               "%s (gave up earlier in this run; not retried)",
			               down[i].why);
			hit = 1;
			break;
		}
	}
	pthread_mutex_unlock(&down_mu);
	return hit;
}

/*
 * connect_retry(t, first): connect_once with a bounded backoff while the
 * failures are connection problems (a refusal is final), unless this
 * process gave up on the server already.  0, or -1 (warned, the kind in
 * t->why_kind).
 */
static int
connect_retry(struct tp_sftp *t, int first)
{
	size_t i;

	if (down_check(t)) {
		gs_warn("%s: %s", t->base.name, t->why);
		return -1;
	}
	for (i = 0; i < NBACKOFF; i++) {
		if (backoff_ms[i])
			sleep_ms(backoff_ms[i]);
		if (connect_once(t, first) == 0)
			return 0;
		if (t->why_kind != GS_TP_ERR_IO)
			break;
	}
	if (i == NBACKOFF) {
		gs_warn("%s: %s (gave up after %zu attempts)", t->base.name, t->why, i);
		down_mark(t);
	} else
		gs_warn("%s: %s", t->base.name, t->why);
	return -1;
}

/*
 * gs_tp_sftp_begin(t): make sure there is a live session for the next attempt,
 * reconnecting with a bounded backoff.  0, or -1 (warned, errkind set).
 */
int
gs_tp_sftp_begin(struct tp_sftp *t)
{
	int next;

	if (t->sess != NULL) {
		if (alive(t) && libssh2_keepalive_send(t->sess, &next) == 0)
			return 0;
		if (t->why_kind == GS_TP_ERR_NONE)
			gs_tp_sftp_ssh_why(t, GS_TP_ERR_IO, "connection lost");
		gs_tp_sftp_drop(t, 1);
	}
	if (connect_retry(t, 0))
		return gs_tp_fail(&t->base, t->why_kind);
	return 0;
}

/*
 * gs_tp_sftp_again(t, attempt, what, rpath): an attempt returned LOST.  Tear the
 * session down; 1 to try once more, or -1 (warned) when out of attempts.
 */
int
gs_tp_sftp_again(struct tp_sftp *t, int *attempt, const char *what, const char *rp)
{
	gs_tp_sftp_drop(t, 1);
	if (++*attempt < OP_ATTEMPTS)
		return 1;
	gs_warn("%s: %s %s: %s (gave up after %d attempts)", t->base.name, what, rp, t->why,
	        *attempt);
	return gs_tp_fail(&t->base, GS_TP_ERR_IO);
}

/* gs_tp_sftp_lost_handle(t, h): the session died while h was open: free h without
 * waiting for the dead peer.  Returns LOST. */
int
gs_tp_sftp_lost_handle(struct tp_sftp *t, LIBSSH2_SFTP_HANDLE *h)
{
	shutdown(t->sock, SHUT_RDWR);
	libssh2_sftp_close_handle(h);
	return LOST;
}

/* gs_tp_sftp_open(rc, u): the SFTP transport of remote rc at URL u (not
 * connected yet); NULL (warned) on error. */
struct gs_transport *
gs_tp_sftp_open(const struct gs_remote_conf *rc, const struct gs_tp_url *u)
{
	const char *name = rc->name ? rc->name : "remote";
	struct tp_sftp *t;
	char ubuf[256];
	const char *user;
	int kind = GS_TP_ERR_IO;

	pthread_once(&init_once, init_libs);
	if (init_rc != 0) {
		gs_warn("%s: cannot initialise libssh2", name);
		gs_tp_set_open_errkind(GS_TP_ERR_IO);
		return NULL;
	}
	if (rc->known_hosts == NULL && rc->fingerprint == NULL) {
		gs_warn("%s: neither known_hosts nor fingerprint is configured: host keys are "
		        "checked strictly, refusing to connect",
		        name);
		gs_tp_set_open_errkind(GS_TP_ERR_CONFIG);
		return NULL;
	}
	if ((user = u->user) == NULL && (user = current_user(ubuf, sizeof(ubuf))) == NULL) {
		gs_warn("%s: cannot tell the current user's name: put user@ in the url", name);
		gs_tp_set_open_errkind(GS_TP_ERR_REFUSED);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		gs_warnp("malloc");
		goto err0;
	}
	t->sock = -1;
	t->rc = rc;
	t->port = u->port;
	t->timeout_s = rc->timeout_s ? rc->timeout_s : DEFAULT_TIMEOUT_S;
	if (gs_tp_base_init(&t->base, &gs_tp_sftp_ops, name))
		goto err1;
	if ((t->user = gs_strdup(user)) == NULL || (t->host = gs_strdup(u->host)) == NULL ||
	    (t->root = gs_strdup(u->path)) == NULL)
		goto err2;
	if (u->port == 22)
		t->khname = gs_strdup(u->host);
	else
		t->khname = gs_asprintf("[%s]:%u", u->host, u->port);
	if (t->khname == NULL)
		goto err2;
	if (connect_retry(t, 1) == 0)
		return &t->base;
	kind = t->why_kind;
err2:
	free(t->khname);
	free(t->root);
	free(t->host);
	free(t->user);
	gs_tp_base_free(&t->base);
err1:
	free(t);
err0:
	gs_tp_set_open_errkind(kind);
	return NULL;
}
