/*
 * sftp_mem.c -- the allocator of the SFTP transport's libssh2 sessions.
 *
 * libssh2 (1.10, Debian 12) frees an SFTP handle only once the server has
 * acknowledged its close, so a handle open when the connection dies stays
 * allocated, with its read-ahead buffers, for good: a restore that
 * reconnects often would grow without bound (and LeakSanitizer says so).
 * Each session therefore allocates through these functions, which keep
 * every block on a list in its transport; when the session is freed,
 * whatever libssh2 left on the list is freed too (gs_tp_sftp_mem_sweep).
 * A transport belongs to one thread at a time, so the list needs no lock.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "transport/sftp_internal.h"

union sftp_mem {
	struct {
		union sftp_mem *prev, *next;
	} l;
	max_align_t align; /* what follows is aligned as malloc's is */
};

static void
mem_link(struct tp_sftp *t, union sftp_mem *m)
{
	m->l.prev = NULL;
	m->l.next = t->mem;
	if (t->mem != NULL)
		t->mem->l.prev = m;
	t->mem = m;
}

static void
mem_unlink(struct tp_sftp *t, union sftp_mem *m)
{
	if (m->l.prev != NULL)
		m->l.prev->l.next = m->l.next;
	else
		t->mem = m->l.next;
	if (m->l.next != NULL)
		m->l.next->l.prev = m->l.prev;
}

/* gs_tp_sftp_mem_alloc(n, abstract): libssh2's malloc; *abstract is the
 * session's transport. */
void *
gs_tp_sftp_mem_alloc(size_t n, void **abstract)
{
	struct tp_sftp *t = *abstract;
	union sftp_mem *m;

	if (n > SIZE_MAX - sizeof(*m) || (m = malloc(sizeof(*m) + n)) == NULL)
		return NULL;
	mem_link(t, m);
	return m + 1;
}

/* gs_tp_sftp_mem_free(p, abstract): libssh2's free. */
void
gs_tp_sftp_mem_free(void *p, void **abstract)
{
	struct tp_sftp *t = *abstract; /* read first: p may be the session */
	union sftp_mem *m;

	if (p == NULL)
		return;
	m = (union sftp_mem *)p - 1;
	mem_unlink(t, m);
	free(m);
}

/* gs_tp_sftp_mem_realloc(p, n, abstract): libssh2's realloc. */
void *
gs_tp_sftp_mem_realloc(void *p, size_t n, void **abstract)
{
	struct tp_sftp *t = *abstract;
	union sftp_mem *m, *nm;

	if (p == NULL)
		return gs_tp_sftp_mem_alloc(n, abstract);
	if (n > SIZE_MAX - sizeof(*m))
		return NULL;
	m = (union sftp_mem *)p - 1;
	mem_unlink(t, m);
	if ((nm = realloc(m, sizeof(*m) + n)) == NULL) {
		mem_link(t, m);
		return NULL;
	}
	mem_link(t, nm);
	return nm + 1;
}

/* gs_tp_sftp_mem_sweep(t): after libssh2_session_free(), free what it left
 * behind. */
void
gs_tp_sftp_mem_sweep(struct tp_sftp *t)
{
	union sftp_mem *m;

	while ((m = t->mem) != NULL) {
		t->mem = m->l.next;
		free(m);
	}
}
