/*
 * test_extract.c -- the read path against hand-made snapshots: hostile
 * manifest paths, symlink escapes, checksum and size mismatches, holes,
 * hard links to restored, rejected and missing names, --include, export
 * and check, privileges (setuid, devices) left out unless asked for.  The repository is built with
 * the public write-side API.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <xxhash.h>

#include "geosnap/format.h"
#include "geosnap/pack.h"
#include "geosnap/repo.h"
#include "geosnap/util.h"
#include "read/check.h"
#include "extract/export.h"
#include "extract/extract.h"
#include "read/reader.h"
#include "read/rkey.h"
#include "tap.h"

static char top[] = "/tmp/gs-test-extract-XXXXXX";

struct builder {
	struct gs_repo *r;
	const struct gs_wkey *k;
	struct gs_pack_writer *pw;
	struct gs_buf man;
	uint8_t (*refs)[GS_ID_LEN];
	uint32_t nrefs;
	uint64_t files, bytes;
};

static void
chunk(struct builder *b, const void *p, size_t len, uint8_t type, uint8_t id[GS_ID_LEN])
{
	uint32_t i;

	gs_chunk_id(b->k->id_key, p, len, id);
	for (i = 0; i < b->nrefs; i++)
		if (memcmp(b->refs[i], id, GS_ID_LEN) == 0)
			return; /* deduplicated, as the agent does */
	if (gs_pack_writer_add(b->pw, id, type, p, len, (uint32_t)len, 0) != 0)
		abort();
	b->refs = realloc(b->refs, (size_t)(b->nrefs + 1) * GS_ID_LEN);
	memcpy(b->refs[b->nrefs++], id, GS_ID_LEN);
}

/* An entry; data (for files) becomes one chunk per piece.  bad_hash 1: a
 * wrong checksum; 2: a size one byte more than the chunks hold. */
static void
entry(struct builder *b, uint8_t type, const char *path, uint32_t mode, const char *link,
      const void *const *pieces, const size_t *lens, uint32_t npieces, int bad_hash)
{
	uint8_t ids[8][GS_ID_LEN];
	struct gs_mentry e;
	XXH3_state_t *xs = XXH3_createState();
	XXH128_canonical_t c;
	uint32_t i;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.path = (char *)path;
	e.mode = mode;
	e.uid = getuid();
	e.gid = getgid();
	e.mtime_sec = 1000000000;
	e.mtime_nsec = 123456789;
	e.link = (char *)link;
	XXH3_128bits_reset(xs);
	for (i = 0; i < npieces; i++) {
		chunk(b, pieces[i], lens[i], GS_CT_DATA, ids[i]);
		XXH3_128bits_update(xs, pieces[i], lens[i]);
		e.size += lens[i];
	}
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(xs));
	memcpy(e.hash, c.digest, 16);
	if (bad_hash == 2)
		e.size++;
	else if (bad_hash)
		e.hash[0] ^= 1;
	e.chunks = ids;
	e.nchunks = npieces;
	gs_mentry_encode(&b->man, &e);
	XXH3_freeState(xs);
	b->files++;
	b->bytes += e.size;
}

/* Publish packs, index and snapshot; the manifest goes in two meta chunks,
 * the reference stream (which pins every chunk to the first pack) in a
 * second pack, as the agent does. */
static void
finish(struct builder *b, int64_t time_ns)
{
	struct gs_index_pack ip[2];
	struct gs_index idx;
	struct gs_snap_info info;
	struct gs_snap_sealed sealed;
	struct gs_buf out = {0}, rs = {0};
	uint8_t meta[2][GS_ID_LEN];
	struct gs_pin pin, refpin;
	char name[GS_NAME_HEX];
	size_t half, nr;

	gs_buf_u32(&b->man, 0);
	half = b->man.len / 2;
	chunk(b, b->man.p, half, GS_CT_META, meta[0]);
	chunk(b, b->man.p + half, b->man.len - half, GS_CT_META, meta[1]);
	if (gs_pack_writer_commit(b->pw, &ip[0]) != 0)
		abort();
	gs_pack_writer_free(b->pw);
	/* The reference stream: every chunk so far, as the agent stores it. */
	nr = b->nrefs;
	memcpy(pin.pack, ip[0].name, GS_NAME_LEN);
	for (size_t i = 0; i < nr; i++) {
		memcpy(pin.id, b->refs[i], GS_ID_LEN);
		gs_pin_encode(&rs, &pin);
	}
	if ((b->pw = gs_pack_writer_new(b->r, b->k->tenant, b->k, GS_ALG_XCHACHA)) == NULL)
		abort();
	chunk(b, rs.p, rs.len, GS_CT_REFS, refpin.id);
	gs_buf_clear(&rs);
	if (gs_pack_writer_commit(b->pw, &ip[1]) != 0)
		abort();
	memcpy(refpin.pack, ip[1].name, GS_NAME_LEN);
	idx.npacks = 2;
	idx.packs = ip;
	gs_index_encode(b->k->index_key, &idx, &out);
	if (gs_repo_put(b->r, b->k->tenant, GS_OBJ_INDEX, out.p, out.len, name) != 0)
		abort();
	out.len = 0;
	memset(&info, 0, sizeof(info));
	info.time_ns = time_ns;
	info.host = "testhost";
	info.tenant = (char *)b->k->tenant;
	info.files = b->files;
	info.bytes = b->bytes;
	info.nrefs = nr;
	info.nrefchunks = 1;
	info.refchunks = &refpin;
	memset(&sealed, 0, sizeof(sealed));
	sealed.manifest_len = b->man.len;
	sealed.nmeta = 2;
	sealed.meta = meta;
	if (gs_snap_encode(b->k, &info, &sealed, &out) != 0 ||
	    gs_repo_put(b->r, b->k->tenant, GS_OBJ_SNAP, out.p, out.len, name) != 0)
		abort();
	gs_buf_clear(&out);
	free(ip[0].chunks);
	free(ip[1].chunks);
	gs_pack_writer_free(b->pw);
	gs_buf_clear(&b->man);
	free(b->refs);
}

static void
start(struct builder *b, struct gs_repo *r, const struct gs_wkey *k)
{
	uint8_t mstart[GS_MANIFEST_START_LEN];

	memset(b, 0, sizeof(*b));
	b->r = r;
	b->k = k;
	if ((b->pw = gs_pack_writer_new(r, k->tenant, k, gs_aead_default())) == NULL)
		abort();
	gs_manifest_start(mstart);
	gs_buf_put(&b->man, mstart, sizeof(mstart));
}

static int
file_is(const char *path, const void *want, size_t len)
{
	uint8_t *buf;
	size_t got;
	int ok;

	if (gs_read_file(path, 1 << 24, &buf, &got) != 0)
		return 0;
	ok = got == len && memcmp(buf, want, len) == 0;
	free(buf);
	return ok;
}

static int
extract_opts(struct gs_reader *rd, const struct gs_rsnap *s, const char *dir,
             const char *const *inc, size_t ninc, int privileged)
{
	struct gs_extract_opts o = {0};
	int cwd = open(".", O_RDONLY | O_DIRECTORY), rc;

	o.includes = inc;
	o.nincludes = ninc;
	o.privileged = privileged;
	if (mkdir(dir, 0700) != 0 || chdir(dir) != 0)
		abort();
	rc = gs_extract(rd, s, &o);
	if (fchdir(cwd) != 0)
		abort();
	close(cwd);
	return rc;
}

static int
extract_into(struct gs_reader *rd, const struct gs_rsnap *s, const char *dir,
             const char *const *inc, size_t ninc)
{
	return extract_opts(rd, s, dir, inc, ninc, 0);
}

int
main(void)
{
	static uint8_t zeros[65536];
	const void *p[3];
	size_t l[3];
	char path[512], repo[256], keydir[256], outside[256], link_out[300];
	struct gs_rkey *k;
	struct gs_repo *r;
	struct builder b;
	struct gs_reader *rd;
	struct gs_rsnap *v;
	const struct gs_rsnap *s, *clean;
	struct stat st, st2;
	size_t n;

	if (sodium_init() < 0 || mkdtemp(top) == NULL)
		return 1;
	gs_set_quiet(1);
	setenv("GEOSNAP_PWHASH", "interactive", 1);
	snprintf(keydir, sizeof(keydir), "%s/keys", top);
	snprintf(repo, sizeof(repo), "%s/repo", top);
	snprintf(outside, sizeof(outside), "%s/outside", top);
	snprintf(link_out, sizeof(link_out), "%s", outside);
	CHECK(mkdir(outside, 0700) == 0);
	CHECK(gs_keygen("t1", keydir, "pw", 2) == 0);
	snprintf(path, sizeof(path), "%s/t1.read", keydir);
	k = gs_rkey_load(path, "t1", "pw", 2);
	CHECK(k != NULL);
	if (k == NULL)
		return tap_done();
	CHECK(gs_repo_init(repo) == 0);
	r = gs_repo_open(repo);
	CHECK(r != NULL && gs_repo_tenant_init(r, "t1") == 0);

	/* Snapshot 1: everything hostile and awkward. */
	start(&b, r, &k->w);
	p[0] = "hello world";
	l[0] = 11;
	entry(&b, GS_FT_FILE, "good.txt", 0640, NULL, p, l, 1, 0);
	p[0] = "evil";
	l[0] = 4;
	entry(&b, GS_FT_FILE, "../evil.txt", 0644, NULL, p, l, 1, 0);
	entry(&b, GS_FT_FILE, "/abs.txt", 0644, NULL, p, l, 1, 0);
	entry(&b, GS_FT_FILE, "d/./x", 0644, NULL, p, l, 1, 0);
	entry(&b, GS_FT_SYMLINK, "s", 0777, link_out, NULL, NULL, 0, 0);
	entry(&b, GS_FT_FILE, "s/pwned", 0644, NULL, p, l, 1, 0);
	p[0] = "hello world";
	l[0] = 11;
	entry(&b, GS_FT_FILE, "badsum.txt", 0644, NULL, p, l, 1, 1);
	p[0] = zeros;
	l[0] = sizeof(zeros);
	p[1] = "tail";
	l[1] = 4;
	entry(&b, GS_FT_FILE, "holes.bin", 0644, NULL, p, l, 2, 0);
	entry(&b, GS_FT_HARDLINK, "h1", 0640, "good.txt", NULL, NULL, 0, 0);
	entry(&b, GS_FT_HARDLINK, "h2", 0644, "../evil.txt", NULL, NULL, 0, 0);
	entry(&b, GS_FT_HARDLINK, "h3", 0644, "missing.txt", NULL, NULL, 0, 0);
	entry(&b, GS_FT_DIR, "ro", 0500, NULL, NULL, NULL, 0, 0);
	p[0] = "inside";
	l[0] = 6;
	entry(&b, GS_FT_FILE, "ro/f", 0400, NULL, p, l, 1, 0);
	finish(&b, 1000);

	/* Snapshot 2: clean, and later. */
	start(&b, r, &k->w);
	p[0] = "hello world";
	l[0] = 11;
	entry(&b, GS_FT_FILE, "good.txt", 0640, NULL, p, l, 1, 0);
	entry(&b, GS_FT_HARDLINK, "h1", 0640, "good.txt", NULL, NULL, 0, 0);
	finish(&b, 2000);
	gs_repo_free(r);

	rd = gs_reader_open(repo, k, 0, NULL);
	CHECK(rd != NULL);
	if (rd == NULL)
		return tap_done();
	CHECK(gs_reader_snapshots(rd, &v, &n) == 0 && n == 2);
	clean = gs_reader_find(v, n, "latest");
	CHECK(clean == &v[1] && clean->info.files == 2);
	s = &v[0];
	CHECK(gs_reader_find(v, n, s->name) == s);
	CHECK(gs_reader_find(v, n, "12345") == NULL);
	CHECK(gs_reader_find(v, n, "zzzzzz") == NULL);

	/* The hostile snapshot: problems named, nothing escapes. */
	snprintf(path, sizeof(path), "%s/t-all", top);
	CHECK(extract_into(rd, s, path, NULL, 0) == 1);
	snprintf(path, sizeof(path), "%s/t-all/good.txt", top);
	CHECK(file_is(path, "hello world", 11));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640 &&
	      st.st_mtim.tv_sec == 1000000000 && st.st_mtim.tv_nsec == 123456789);
	snprintf(path, sizeof(path), "%s/t-all/h1", top);
	CHECK(stat(path, &st2) == 0 && st2.st_ino == st.st_ino);
	snprintf(path, sizeof(path), "%s/evil.txt", top);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/t-all/abs.txt", top);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/pwned", outside);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/t-all/s", top);
	CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
	snprintf(path, sizeof(path), "%s/t-all/badsum.txt", top);
	CHECK(access(path, F_OK) != 0); /* content not exact: removed again, named */
	snprintf(path, sizeof(path), "%s/t-all/h2", top);
	CHECK(file_is(path, "evil", 4)); /* first name rejected: content here */
	snprintf(path, sizeof(path), "%s/t-all/h3", top);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/t-all/holes.bin", top);
	CHECK(stat(path, &st) == 0 && st.st_size == 65540 && st.st_blocks * 512 < 65536);
	snprintf(path, sizeof(path), "%s/t-all/ro/f", top);
	CHECK(file_is(path, "inside", 6));
	snprintf(path, sizeof(path), "%s/t-all/ro", top);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0500);
	CHECK(chmod(path, 0700) == 0);

	/* --include of a second name only: the content comes along. */
	{
		const char *inc[] = {"h1"};

		snprintf(path, sizeof(path), "%s/t-inc", top);
		CHECK(extract_into(rd, clean, path, inc, 1) == 0);
		snprintf(path, sizeof(path), "%s/t-inc/h1", top);
		CHECK(file_is(path, "hello world", 11));
		snprintf(path, sizeof(path), "%s/t-inc/good.txt", top);
		CHECK(access(path, F_OK) != 0);
	}
	snprintf(path, sizeof(path), "%s/t-clean", top);
	CHECK(extract_into(rd, clean, path, NULL, 0) == 0);

	/* Export: hostile names left out, the rest readable by libarchive. */
	{
		struct gs_export_opts xo = {0};
		struct archive *a;
		struct archive_entry *ae;
		int nent = 0, saw_evil = 0, saw_hl = 0;

		snprintf(path, sizeof(path), "%s/x.tar", top);
		xo.format = GS_EXPORT_PAX;
		xo.output = path;
		CHECK(gs_export(rd, s, &xo) == 1);
		CHECK(gs_export(rd, s, &xo) == -1); /* never overwrites */
		a = archive_read_new();
		archive_read_support_format_all(a);
		CHECK(archive_read_open_filename(a, path, 10240) == ARCHIVE_OK);
		while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
			nent++;
			if (strstr(archive_entry_pathname(ae), "evil") != NULL ||
			    archive_entry_pathname(ae)[0] == '/')
				saw_evil = 1;
			if (strcmp(archive_entry_pathname(ae), "h1") == 0 &&
			    archive_entry_hardlink(ae) != NULL)
				saw_hl = 1;
		}
		archive_read_free(a);
		CHECK(nent >= 9 && !saw_evil && saw_hl);
		snprintf(path, sizeof(path), "%s/x.zip", top);
		xo.format = GS_EXPORT_ZIP;
		CHECK(gs_export(rd, clean, &xo) == 0);
	}

	/* Check: clean, then a damaged pack is named. */
	{
		struct gs_check_opts co = {.read_data = 1};
		struct gs_reader *crd = gs_reader_open(repo, k, GS_READER_NOINDEX, NULL);
		char(*names)[GS_NAME_HEX];
		char *pp;
		int fd;

		gs_set_quiet(0);
		CHECK(crd != NULL && gs_check(crd, &co) == 0);
		gs_set_quiet(1);
		gs_reader_free(crd);
		r = gs_repo_open(repo);
		CHECK(gs_repo_list(r, "t1", GS_OBJ_PACK, &names, &n) == 0 && n == 4);
		{
			/* the test damages the file behind the repository's back */
			char *rel = gs_layout_obj("t1", GS_OBJ_PACK, names[0]);

			pp = gs_path_join(repo, rel);
			free(rel);
		}
		chmod(pp, 0600);
		fd = open(pp, O_WRONLY);
		CHECK(fd >= 0 && pwrite(fd, "X", 1, 20) == 1);
		close(fd);
		crd = gs_reader_open(repo, k, GS_READER_NOINDEX, NULL);
		CHECK(crd != NULL && gs_check(crd, &co) == 1);
		CHECK(strstr(gs_last_error(), "set aside: ") != NULL);
		gs_reader_free(crd);
		free(pp);
		free(names);
		gs_repo_free(r);
	}

	/* Snapshot 3: privileges, and a size its chunks cannot have. */
	{
		static const char *const some[] = {"suid", "dev"}, *const suid_only[] = {"suid"};
		struct gs_export_opts xo = {0};
		struct gs_reader *rd3;
		struct gs_rsnap *v3;
		const struct gs_rsnap *s3;
		struct archive *a;
		struct archive_entry *ae;
		size_t n3;
		int saw_suid = 0, saw_dev = 0, saw_wrong = 0;

		r = gs_repo_open(repo);
		start(&b, r, &k->w);
		p[0] = "#!/bin/sh\n";
		l[0] = 10;
		entry(&b, GS_FT_FILE, "suid", 04755, NULL, p, l, 1, 0);
		p[0] = "short";
		l[0] = 5;
		entry(&b, GS_FT_FILE, "wrongsize", 0644, NULL, p, l, 1, 2);
		entry(&b, GS_FT_CHR, "dev", 0600, NULL, NULL, NULL, 0, 0);
		finish(&b, 3000);
		gs_repo_free(r);
		rd3 = gs_reader_open(repo, k, 0, NULL);
		CHECK(rd3 != NULL && gs_reader_snapshots(rd3, &v3, &n3) == 0 && n3 == 3);
		s3 = gs_reader_find(v3, n3, "latest");
		CHECK(s3 != NULL && s3->info.time_ns == 3000);

		/* By default: the setuid bit and the device are left out and
		 * named (2), the wrong size refused (1 wins). */
		snprintf(path, sizeof(path), "%s/t-priv", top);
		CHECK(extract_into(rd3, s3, path, NULL, 0) == 1);
		snprintf(path, sizeof(path), "%s/t-priv/suid", top);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0755);
		snprintf(path, sizeof(path), "%s/t-priv/wrongsize", top);
		CHECK(access(path, F_OK) != 0);
		snprintf(path, sizeof(path), "%s/t-priv/dev", top);
		CHECK(access(path, F_OK) != 0);
		snprintf(path, sizeof(path), "%s/t-priv2", top);
		CHECK(extract_into(rd3, s3, path, some, 2) == 2);
		CHECK(strstr(gs_last_error(), "dev") != NULL);
		snprintf(path, sizeof(path), "%s/t-priv3", top);
		CHECK(extract_opts(rd3, s3, path, suid_only, 1, 1) == 0);
		snprintf(path, sizeof(path), "%s/t-priv3/suid", top);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 04755);

		/* Export keeps the privileges (an archive plants nothing) but
		 * leaves out the wrong size. */
		snprintf(path, sizeof(path), "%s/priv.tar", top);
		xo.format = GS_EXPORT_PAX;
		xo.output = path;
		CHECK(gs_export(rd3, s3, &xo) == 1);
		CHECK(strstr(gs_last_error(), "wrongsize") != NULL);
		a = archive_read_new();
		archive_read_support_format_all(a);
		CHECK(archive_read_open_filename(a, path, 10240) == ARCHIVE_OK);
		while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
			if (strcmp(archive_entry_pathname(ae), "suid") == 0 &&
			    (archive_entry_perm(ae) & 07777) == 04755)
				saw_suid = 1;
			if (strcmp(archive_entry_pathname(ae), "dev") == 0 &&
			    archive_entry_filetype(ae) == AE_IFCHR)
				saw_dev = 1;
			if (strcmp(archive_entry_pathname(ae), "wrongsize") == 0)
				saw_wrong = 1;
		}
		archive_read_free(a);
		CHECK(saw_suid && saw_dev && !saw_wrong);
		gs_reader_snapshots_free(v3, n3);
		gs_reader_free(rd3);
	}

	gs_reader_snapshots_free(v, 2);
	gs_reader_free(rd);
	gs_rkey_free(k);
	snprintf(path, sizeof(path), "rm -rf %s", top);
	if (system(path) != 0)
		return 1;
	return tap_done();
}
