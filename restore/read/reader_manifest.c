/*
 * reader_manifest.c -- walking a snapshot's manifest without holding it in
 * memory: meta chunks are fetched as entries need them, the stream's magic,
 * version, length and end marker are checked; and the path rules of the
 * restore side.
 */
#include <stdlib.h>
#include <string.h>

#include "geosnap/format.h"
#include "geosnap/util.h"
#include "read/reader.h"
#include "read/reader_internal.h"

/* ---- manifests --------------------------------------------------------- */

struct gs_manifest {
	struct gs_reader *rd;
	const struct gs_rsnap *s;
	char *label;
	struct gs_buf win; /* fetched, not yet consumed bytes start at pos */
	size_t pos;
	uint32_t next_meta; /* next meta chunk to fetch */
	uint64_t total;     /* manifest bytes fetched so far */
	uint64_t count;
	int started;
	int state; /* 0 running, 1 ended, -1 failed */
};

/*
 * gs_reader_manifest_open(rd, s): a walker over the manifest of s; borrows
 * rd and s.  NULL (warned) when out of memory.
 */
struct gs_manifest *
gs_reader_manifest_open(struct gs_reader *rd, const struct gs_rsnap *s)
{
	struct gs_manifest *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		gs_warnp("calloc");
		return NULL;
	}
	m->rd = rd;
	m->s = s;
	/* Read the snapshot as it was made: its chunks from the packs it pins.
	 * A failure is warned and marks the reader damaged; the chunks are
	 * then looked up by ID. */
	(void)gs_reader_pin(rd, s);
	if ((m->label = gs_asprintf("tenant %s snapshot %s manifest", rd->k->w.tenant, s->name)) ==
	    NULL) {
		free(m);
		return NULL;
	}
	return m;
}

/* gs_reader_manifest_free(m): free the walker (NULL accepted). */
void
gs_reader_manifest_free(struct gs_manifest *m)
{
	if (m == NULL)
		return;
	gs_buf_clear(&m->win);
	free(m->label);
	free(m);
}

/* gs_reader_manifest_count(m): entries returned so far. */
uint64_t
gs_reader_manifest_count(const struct gs_manifest *m)
{
	return m->count;
}

/* Make at least n unconsumed bytes available; 0, or -1 (warned). */
static int
fill(struct gs_manifest *m, size_t n)
{
	struct gs_buf chunk = {0};
	size_t avail;

	while ((avail = m->win.len - m->pos) < n) {
		if (m->next_meta >= m->s->sealed.nmeta) {
			gs_warn("%s: truncated (%llu bytes)", m->label,
			        (unsigned long long)m->total);
			goto err;
		}
		/* Drop consumed bytes before growing the window. */
		if (m->pos > 0) {
			memmove(m->win.p, m->win.p + m->pos, avail);
			m->win.len = avail;
			m->pos = 0;
		}
		if (gs_reader_chunk(m->rd, m->s->sealed.meta[m->next_meta], GS_CT_META, &chunk) !=
		    0) {
			gs_warn("%s: meta chunk %u unreadable", m->label, (unsigned)m->next_meta);
			goto err;
		}
		m->next_meta++;
		m->total += chunk.len;
		if (m->total > m->s->sealed.manifest_len) {
			gs_warn("%s: longer than the recorded %llu bytes", m->label,
			        (unsigned long long)m->s->sealed.manifest_len);
			goto err;
		}
		gs_buf_put(&m->win, chunk.p, chunk.len);
		if (m->win.oom) {
			gs_warn("%s: out of memory", m->label);
			goto err;
		}
	}
	gs_buf_clear(&chunk);
	return 0;
err:
	gs_buf_clear(&chunk);
	return -1;
}

/*
 * gs_reader_manifest_next(m, ret): 0 with the next entry in *ret, 1 at the
 * verified end, -1 (warned) on error; sticky after 1 or -1.
 */
int
gs_reader_manifest_next(struct gs_manifest *m, struct gs_mentry *ret)
{
	const uint8_t *p;
	struct gs_rd r;
	uint32_t elen;
	int rc;

	if (m->state != 0)
		return m->state;
	m->state = -1;
	if (!m->started) {
		if (fill(m, 8) != 0)
			return -1;
		p = m->win.p + m->pos;
		if (gs_manifest_check_start(m->label, p) != 0)
			return -1;
		m->pos += GS_MANIFEST_START_LEN;
		m->started = 1;
	}
	if (fill(m, 4) != 0)
		return -1;
	elen = gs_get_le32(m->win.p + m->pos);
	if (elen == 0) {
		m->pos += 4;
		if (m->pos != m->win.len || m->next_meta != m->s->sealed.nmeta ||
		    m->total != m->s->sealed.manifest_len) {
			gs_warn("%s: data after the end marker", m->label);
			return -1;
		}
		m->state = 1;
		return 1;
	}
	if (elen > GS_MAX_ENTRY) {
		gs_warn("%s: entry %llu: length %u exceeds the limit", m->label,
		        (unsigned long long)m->count, (unsigned)elen);
		return -1;
	}
	if (fill(m, (size_t)elen + 4) != 0)
		return -1;
	gs_rd_init(&r, m->win.p + m->pos, (size_t)elen + 4);
	memset(ret, 0, sizeof(*ret));
	rc = gs_mentry_decode(&r, ret);
	if (rc != 0 || r.err || r.off != (size_t)elen + 4) {
		if (rc == 0)
			gs_mentry_clear(ret);
		gs_warn("%s: entry %llu is malformed", m->label, (unsigned long long)m->count);
		return -1;
	}
	m->pos += (size_t)elen + 4;
	m->count++;
	m->state = 0;
	return 0;
}

/* ---- paths ------------------------------------------------------------- */

/*
 * gs_reader_path_ok(path): 1 when a manifest path is safe to restore: not
 * empty, relative, no empty, "." or ".." component.  0 otherwise.
 */
int
gs_reader_path_ok(const char *path)
{
	const char *p = path, *e;
	size_t n;

	if (path == NULL || *path == '\0' || *path == '/')
		return 0;
	for (;;) {
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0)
			return 0;
		if (n == 1 && p[0] == '.')
			return 0;
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		if (e == NULL)
			return 1;
		p = e + 1;
	}
}

/*
 * gs_reader_path_under(path, prefix): 1 when path equals prefix or lies
 * below it (whole components: "a/b" is under "a", "ab" is not).
 */
int
gs_reader_path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
