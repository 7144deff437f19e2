/*
 * fuzz_config.c -- the INI configuration (agent/config/ on inih).
 * The seeds are a minimal file and one that sets every supported key (the
 * keys not supported yet are refused at once, so they would only stop the
 * fuzzer early); mkcorpus.sh adds conf/geosnap.ini.sample.
 */
#include <string.h>

#include "fuzz.h"
#include "geosnap/config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gs_config *c = gs_config_parse("fuzz.ini", data, size);

	if (c != NULL) {
		/* The lookups the programs do. */
		for (size_t i = 0; i < c->ntenants; i++)
			if (gs_config_tenant(c, c->tenants[i].name) != &c->tenants[i])
				__builtin_trap();
		for (size_t i = 0; i < c->nremotes; i++)
			if (gs_config_remote(c, c->remotes[i].name) != &c->remotes[i])
				__builtin_trap();
	}
	gs_config_free(c);
	return 0;
}

static const char *const seeds[] = {
    "[agent]\n"
    "repository = /srv/geosnap/repo\n"
    "state_dir = /var/lib/geosnap\n",

    "\xEF\xBB\xBF; every key\n"
    "[agent]\n"
    "host = web1\n"
    "region = eu-central\n"
    "repository = /srv/geosnap/repo ; inline comment\n"
    "state_dir = /var/lib/geosnap\n"
    "audit_log = /var/log/geosnap/audit.jsonl\n"
    "metrics_file = /var/lib/prometheus/node-exporter/geosnap.prom\n"
    "chunk_min = 256K\n"
    "chunk_avg = 1MiB\n"
    "chunk_max = 4M\n"
    "pack_size = 32M\n"
    "compression = 3\n"
    "threads = 4\n"
    "cipher = xchacha20poly1305\n"
    "\n"
    "[policy]\n"
    "allowed_regions = eu-central, eu-north\n"
    "verify_sample = 0.5%\n"
    "\n"
    "[remote \"fi1\"]\n"
    "url = sftp://geosnap@fi1.example.net:2222/geosnap\n"
    "region = eu-north\n"
    "identity = /etc/geosnap/id_ed25519\n"
    "known_hosts = /etc/geosnap/known_hosts\n"
    "fingerprint = SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s\n"
    "connections = 2\n"
    "bandwidth_limit = 10M\n"
    "timeout = 30s\n"
    "\n"
    "[remote \"usb\"]\n"
    "url = file:///mnt/backup%20disk/geosnap\n"
    "region = eu-west\n"
    "\n"
    "# a tenant\n"
    "[tenant \"acme\"]\n"
    "source = /srv/data/acme\n"
    "source = /srv/uploads/acme\n"
    "exclude = *.tmp, *.swp\n"
    "exclude = /srv/data/acme/cache\n"
    "write_key = /etc/geosnap/keys/acme.write\n"
    "read_key = /etc/geosnap/keys/acme.read\n"
    "allowed_regions = eu-central\n"
    "one_file_system = no\n"
    "\n"
    "[tenant \"beta-2.x\"]\n"
    "source = /srv/data/beta\n"
    "write_key: /etc/geosnap/keys/beta.write\n",
};

int
fuzz_seed(int i, struct gs_buf *out)
{
	if (i >= (int)(sizeof(seeds) / sizeof(seeds[0])))
		return 1;
	gs_buf_put(out, seeds[i], strlen(seeds[i]));
	return 0;
}
