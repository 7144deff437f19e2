/*
 * cmd_test.c -- geosnap-restore test: a restore test.  A snapshot is
 * restored from one copy (default: the first remote, the disaster-recovery
 * path) into a fresh scratch directory, every restored entry is checked
 * against the manifest and, where the live source still holds a file
 * unchanged, against the source; the time to the first byte, the duration
 * and the throughput are measured; the scratch directory is removed; and a
 * signed "restore-test" record is appended to the audit log and shipped to
 * the remote (docs/AUDIT.md).  A test that fails is recorded too.  The
 * parts are in rtest/.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "geosnap/audit.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"
#include "extract/extract.h"
#include "rtest/rtest.h"

static const char usage[] =
    "usage: geosnap-restore test --tenant T [--key FILE]\n"
    "                            [--from REMOTE|local|URL] [--repo PATH]\n"
    "                            [--identity FILE] [--known-hosts FILE]\n"
    "                            [--host-key SHA256:...] [--connections N]\n"
    "                            [--snapshot ID|latest]\n"
    "                            [--full | --sample PCT [--seed N]]\n"
    "                            [--scratch DIR]\n"
    "  Restore test: restore a snapshot (default: the latest) from a copy (default:\n"
    "  the first [remote] of the configuration, the disaster-recovery path; the\n"
    "  local repository when there is none) into a new directory under DIR\n"
    "  (default: $TMPDIR, else /var/tmp); check every restored entry against the\n"
    "  manifest (type, size, XXH3-128, mode, mtime, symlink target) and every file\n"
    "  the live source still holds with the same size and mtime against the source\n"
    "  too; measure the time to the first byte, the duration and the throughput;\n"
    "  remove the directory; append a signed restore-test record to the audit log\n"
    "  ([agent] audit_log), and ship the log to that remote when audit_key is set.\n"
    "  --full (the default): every file.  --sample PCT (10, 10% or 0.5%): PCT% of\n"
    "  the regular files, chosen by a random seed, or by --seed N (0 to 2^53-1)\n"
    "  to repeat an earlier test's sample; the record holds the seed and the\n"
    "  SHA-256 of the sorted list of sampled paths.  Exit 0 when everything\n"
    "  matches, 1 on a mismatch or corrupt content, 2 for a usage or\n"
    "  configuration error, a wrong or missing passphrase or an unusable scratch\n"
    "  directory, 3 when the test could not run or finish (remote unreachable,\n"
    "  disk full).  -q: nothing at all on success.\n" GS_CMD_TARGET_USAGE;

/* One test: what it was asked, what it found. */
struct test {
	const struct gs_cli *g;
	struct gs_cmd_args *a;
	struct gs_config *cfg; /* our own copy: the audit log, remotes, sources */
	struct gs_target t;    /* a->t with the default --from filled in */
	struct gs_sample sm;
	char sample[32]; /* "full" or "10%" */
	int64_t t0, t0_real, first_ns, restore_ns;
	struct gs_rsnap snap;
	int have_snap, checked;
	struct gs_rtest_res res;
	int status;
	char msg[512]; /* the first problem, or "" */
};

/* Keep msg (or the last warning when msg is NULL) as the first problem. */
static void
note(struct test *x, const char *msg)
{
	if (x->msg[0] == '\0')
		snprintf(x->msg, sizeof(x->msg), "%s", msg != NULL ? msg : gs_last_error());
}

/* docs/CLI.md: the worse of two exit statuses, 2 > 3 > 1 > 4 > 0. */
static int
worst(int a, int b)
{
	static const int rank[] = {0, 2, 4, 3, 1}; /* by status 0..4 */

	return rank[a] >= rank[b] ? a : b;
}

/* The options: sample, seed, the default --from.  GS_EXIT_OK or usage. */
static int
options(struct test *x)
{
	const struct gs_cmd_args *a = x->a;
	uint64_t seed = 0;
	char pct[32];

	if (a->t.tenant == NULL)
		return gs_cmd_usage_error(usage, "test: --tenant is required");
	if (a->full && a->sample != NULL)
		return gs_cmd_usage_error(usage, "test: --full and --sample exclude each other");
	if (a->seed != NULL && a->sample == NULL)
		return gs_cmd_usage_error(usage, "test: --seed goes with --sample");
	x->sm.full = a->sample == NULL;
	snprintf(x->sample, sizeof(x->sample), "full");
	if (a->sample != NULL) {
		snprintf(pct, sizeof(pct), "%s%s", a->sample,
		         strchr(a->sample, '%') != NULL ? "" : "%");
		if (gs_parse_percent(pct, &x->sm.ppm) != 0 || x->sm.ppm == 0)
			return gs_cmd_usage_error(usage,
			                          "test: --sample %s: expected a percentage above "
			                          "0 and at most 100 (10, 10%% or 0.5%%)",
			                          a->sample);
		snprintf(x->sample, sizeof(x->sample), "%s", pct);
		if (a->seed != NULL && gs_parse_uint(a->seed, GS_RTEST_SEED_MAX, &seed) != 0)
			return gs_cmd_usage_error(
			    usage, "test: --seed %s: expected a number from 0 to %llu", a->seed,
			    (unsigned long long)GS_RTEST_SEED_MAX);
		x->sm.seed = a->seed != NULL ? seed : gs_sample_seed();
	}
	x->t = a->t;
	if (x->t.from == NULL && x->t.repo == NULL && x->cfg != NULL && x->cfg->nremotes > 0)
		x->t.from = x->cfg->remotes[0].name;
	return GS_EXIT_OK;
}

/* The tenant's source directories, canonical (those this host has), into
 * a NULL-terminated malloc'd array; *ret_n of them, *ret_multi when the
 * configuration names several. */
static char **
sources(const struct test *x, const struct gs_config *cfg, size_t *ret_n, int *ret_multi)
{
	const struct gs_tenant_conf *tc = cfg ? gs_config_tenant(cfg, x->t.tenant) : NULL;
	size_t i, n = 0;
	char **v;

	*ret_n = 0;
	*ret_multi = 0;
	if (tc == NULL || tc->sources.n == 0 || (v = calloc(tc->sources.n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < tc->sources.n; i++)
		if ((v[n] = realpath(tc->sources.v[i], NULL)) != NULL)
			n++;
	*ret_multi = tc->sources.n > 1;
	*ret_n = n;
	return v;
}

/* Restore into scratch (the current directory is kept) and check.  The
 * status so far. */
static int
restore_and_check(struct test *x, struct gs_session *s, const char *root)
{
	struct gs_extract_opts eo = {0};
	struct gs_rtest_opts co = {0};
	int64_t t1;
	int cwd, r, rc = GS_EXIT_OK;
	size_t i;

	eo.progress = !x->g->quiet && isatty(STDERR_FILENO);
	eo.verbose = x->g->verbose;
	eo.remote = s->remote;
	eo.stats = &s->fst;
	/* The scratch directory is ours alone (0700): as root everything is
	 * restored, as on a real recovery. */
	eo.privileged = geteuid() == 0;
	eo.select = gs_sample_select;
	eo.select_arg = &x->sm;
	eo.first_byte_ns = &x->first_ns;
	s->has_fst = 1;
	if ((cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || chdir(root) != 0) {
		gs_warnp("%s", root);
		note(x, NULL);
		if (cwd >= 0)
			close(cwd);
		return GS_EXIT_FAIL;
	}
	t1 = gs_mono_ns();
	r = gs_extract(s->rd, &x->snap, &eo);
	x->restore_ns = gs_mono_ns() - t1;
	if (fchdir(cwd) != 0 && chdir("/") != 0)
		gs_warnp("chdir");
	close(cwd);
	if (r < 0) {
		/* "restore stopped: No space left on device: ...; run it again
		 * with --overwrite ...": the advice is restore's, not ours */
		note(x, NULL);
		if (strncmp(x->msg, "restore stopped", 15) == 0)
			x->msg[strcspn(x->msg, ";")] = '\0';
		rc = GS_EXIT_FAIL;
	} else if (r == 1) {
		note(x, NULL);
		rc = GS_EXIT_PROBLEM;
	}
	co.root = root;
	co.sm = &x->sm;
	co.privileged = eo.privileged;
	co.lists_only = r < 0;
	co.sources = sources(x, s->cfg, &co.nsources, &co.multi);
	if (gs_rtest_check(s->rd, &x->snap, &co, &x->res) != 0) {
		note(x, NULL);
		rc = worst(rc, GS_EXIT_PROBLEM);
	}
	x->checked = 1;
	for (i = 0; co.sources != NULL && co.sources[i] != NULL; i++)
		free(co.sources[i]);
	free(co.sources);
	if (x->res.mismatches > 0 || x->res.src_mismatches > 0) {
		note(x, x->res.first);
		rc = worst(rc, GS_EXIT_PROBLEM);
	}
	return rc;
}

/* Open the copy, choose the snapshot, plan the sample, restore into the
 * scratch directory and check.  The test's status. */
static int
run(struct test *x, const char *root)
{
	struct gs_session s;
	int rc, others_bad = 0;

	if ((rc = gs_cmd_open(x->g, &x->t, 0, &s)) != GS_EXIT_OK) {
		note(x, NULL);
		return rc;
	}
	s.quiet_choice = x->g->quiet;
	if ((rc = gs_cmd_snapshot(&s, x->a->snapshot, &x->snap, &others_bad)) != GS_EXIT_OK) {
		note(x, NULL);
		gs_cmd_close(&s);
		return rc;
	}
	x->have_snap = 1;
	if (others_bad)
		note(x, "some other snapshots of the tenant could not be read");
	rc = others_bad ? GS_EXIT_PROBLEM : GS_EXIT_OK;
	if (gs_sample_plan(s.rd, &x->snap, &x->sm) != 0) {
		note(x, NULL);
		rc = GS_EXIT_PROBLEM;
	} else {
		rc = worst(rc, restore_and_check(x, &s, root));
	}
	if (rc == GS_EXIT_OK && gs_reader_damaged(s.rd))
		note(x, "a damaged index segment or pack header was skipped");
	return gs_cmd_finish(&s, rc);
}

/* The record of the test (docs/AUDIT.md, "restore-test"). */
static int
record(struct test *x, const struct gs_audit_conf *ac, int64_t dur_ns)
{
	struct gs_audit_rec r;
	char when[64];
	double rs = (double)x->restore_ns / 1e9;

	if (ac->log == NULL)
		return 0;
	if (gs_audit_rec_init(&r, "restore-test") != 0)
		return -1;
	r.time_ns = x->t0_real;
	gs_audit_rec_str(&r, "tenant", x->t.tenant);
	gs_audit_rec_str(&r, "from", x->t.from != NULL ? x->t.from : "local");
	gs_audit_rec_str(&r, "snapshot", x->have_snap ? x->snap.name : NULL);
	if (x->have_snap)
		gs_iso_time(when, sizeof(when), x->snap.info.time_ns / GS_NS_PER_S);
	gs_audit_rec_str(&r, "snapshot_time", x->have_snap ? when : NULL);
	gs_audit_rec_str(&r, "sample", x->sample);
	if (x->sm.full)
		gs_audit_rec_raw(&r, "seed", "null");
	else
		gs_audit_rec_u64(&r, "seed", x->sm.seed);
	gs_audit_rec_str(&r, "list_hash", x->res.list_hash[0] ? x->res.list_hash : NULL);
	gs_audit_rec_u64(&r, "snapshot_files", x->res.snap_files);
	gs_audit_rec_u64(&r, "entries_checked", x->res.entries);
	gs_audit_rec_u64(&r, "files_checked", x->res.files);
	gs_audit_rec_u64(&r, "bytes_checked", x->res.bytes);
	gs_audit_rec_u64(&r, "mismatches", x->res.mismatches);
	gs_audit_rec_u64(&r, "source_compared", x->res.src_compared);
	gs_audit_rec_u64(&r, "source_mismatches", x->res.src_mismatches);
	if (x->first_ns > 0)
		gs_audit_rec_dbl(&r, "ttfb_s", (double)(x->first_ns - x->t0) / 1e9, 3);
	else
		gs_audit_rec_raw(&r, "ttfb_s", "null");
	gs_audit_rec_dbl(&r, "duration_s", (double)dur_ns / 1e9, 3);
	gs_audit_rec_dbl(&r, "throughput_mib_s",
	                 rs > 0 ? (double)x->res.bytes / 1048576.0 / rs : 0.0, 2);
	gs_audit_rec_int(&r, "status", x->status);
	gs_audit_rec_str(&r, "result", gs_step_result(x->status));
	gs_audit_rec_str(&r, "message", x->msg[0] ? x->msg : NULL);
	return gs_audit_write(ac, &r);
}

/* Ship this host's log to the remote tested from (closing its open
 * segment first, so that the test's record leaves the host).  The status. */
static int
ship(const struct test *x, const struct gs_audit_conf *ac)
{
	const struct gs_remote_conf *rc;
	struct gs_transport *tp;
	uint64_t n = 0;
	int r;

	if (ac->log == NULL || ac->key == NULL || x->t.from == NULL ||
	    (rc = gs_config_remote(x->cfg, x->t.from)) == NULL)
		return GS_EXIT_OK;
	if (gs_audit_cut(ac) < 0)
		return GS_EXIT_PROBLEM;
	if ((tp = gs_tp_open(rc)) == NULL)
		return GS_EXIT_FAIL;
	r = gs_audit_ship(ac, tp, &n);
	gs_tp_close(tp);
	if (r == 0 && x->g->verbose)
		fprintf(stderr, "geosnap-restore: test: %llu audit log files shipped to %s\n",
		        (unsigned long long)n, rc->name);
	return r == 0 ? GS_EXIT_OK : GS_EXIT_FAIL;
}

/* The summary on stdout (not with -q). */
static void
summary(const struct test *x, int64_t dur_ns)
{
	double rs = (double)x->restore_ns / 1e9;

	if (x->g->quiet)
		return;
	printf("restore test of tenant %s from %s, snapshot %.12s, %s: %s\n", x->t.tenant,
	       x->t.from != NULL ? x->t.from : "local", x->have_snap ? x->snap.name : "(none)",
	       x->sample, gs_step_result(x->status));
	if (!x->checked)
		return;
	printf("  %llu of %llu files checked (%.1f MiB), %llu entries, %llu mismatches; "
	       "%llu compared with the source, %llu differ\n",
	       (unsigned long long)x->res.files, (unsigned long long)x->res.snap_files,
	       (double)x->res.bytes / 1048576.0, (unsigned long long)x->res.entries,
	       (unsigned long long)x->res.mismatches, (unsigned long long)x->res.src_compared,
	       (unsigned long long)x->res.src_mismatches);
	printf("  first byte after %.2f s, %.2f s in all, %.1f MiB/s\n",
	       x->first_ns > 0 ? (double)(x->first_ns - x->t0) / 1e9 : 0.0, (double)dur_ns / 1e9,
	       rs > 0 ? (double)x->res.bytes / 1048576.0 / rs : 0.0);
	if (!x->sm.full)
		printf("  sample %s of %llu files, seed %llu, list_hash %s\n", x->sample,
		       (unsigned long long)x->sm.nsampled, (unsigned long long)x->sm.seed,
		       x->res.list_hash[0] ? x->res.list_hash : "(none)");
}

/* gs_cmd_test(g, argc, argv): the test command; returns the exit status. */
int
gs_cmd_test(struct gs_cli *g, int argc, char **argv)
{
	struct gs_audit_conf ac = {0};
	struct gs_cmd_args a;
	struct gs_scratch sc;
	struct test x;
	char host[256];
	int64_t dur;
	int rc;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage,
	                       GS_OPT_READS | GS_OPT_SNAPSHOT | GS_OPT_SAMPLE)) >= 0)
		return rc;
	memset(&x, 0, sizeof(x));
	x.g = g;
	x.a = &a;
	x.t0 = gs_mono_ns();
	x.t0_real = gs_now_ns();
	/* Our own copy of the configuration: the record is written also when
	 * the session cannot be opened. */
	if ((rc = gs_cmd_config(g, &x.cfg)) != GS_EXIT_OK)
		goto err0;
	if ((rc = options(&x)) != GS_EXIT_OK)
		goto err1;
	if (x.cfg != NULL) {
		gs_audit_conf_of(x.cfg, &ac);
		if (ac.host == NULL && gethostname(host, sizeof(host)) == 0) {
			host[sizeof(host) - 1] = '\0';
			ac.host = host;
		}
	}
	if ((rc = gs_scratch_make(a.scratch, &sc)) != 0) {
		/* missing, not a directory, not writable: 2; no space, I/O: 3 */
		note(&x, NULL);
		x.status = rc == -1 ? GS_EXIT_USAGE : GS_EXIT_FAIL;
	} else {
		x.status = run(&x, sc.path);
		if (gs_scratch_remove(&sc) != 0) {
			note(&x, NULL);
			x.status = worst(x.status, GS_EXIT_FAIL);
		}
	}
	dur = gs_mono_ns() - x.t0;
	summary(&x, dur);
	rc = x.status;
	if (record(&x, &ac, dur) != 0)
		rc = worst(rc, GS_EXIT_PROBLEM);
	rc = worst(rc, ship(&x, &ac));
	if (x.have_snap)
		gs_reader_snap_clear(&x.snap);
err1:
	gs_config_free(x.cfg);
err0:
	gs_cmd_args_clear(&a);
	return rc;
}
