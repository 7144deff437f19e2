# report.bash -- helpers for the report tests in tests/audit/ (6N-report*.sh):
# signing keys, logs built through the agent's own writer, and rendering
# HTML in Chromium.  Sourced, never run (CTest registers only *.sh files).
#
# Everything of tests/scenario/lib.sh (gs_begin, gs_run, gs_check ...), plus:
#
#   audit_key NAME        a minisign key pair $T/keys-audit/NAME.key (0600,
#                         unencrypted) and NAME.pub, made by stock minisign
#   audit_append LOG NAME HOST   append the records of stdin (the SPEC of
#                         tests/audit/tools/audit_append.c) to LOG, signed
#                         with NAME's key, as host HOST
#   chromium_dom HTML OUT     the DOM Chromium renders from HTML (headless)
#   chromium_pdf HTML OUT     HTML printed to the PDF OUT
#   pdf_pages PDF         the number of pages of PDF
#   py_check WHAT ARGS... a gs_check of the Python script on stdin, run
#                         with ARGS (gs_check itself reads from /dev/null);
#                         the script may call log_lines(LOG): the lines of
#                         every segment of the log LOG (bytes, no newline),
#                         in order
# shellcheck shell=bash source-path=SCRIPTDIR

# shellcheck source=../scenario/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scenario/lib.sh"

AUDIT_TOOLS=${GS_BUILD:-}/tests/audit

audit_key() {
	mkdir -p "$T/keys-audit"
	minisign -G -W -p "$T/keys-audit/$1.pub" -s "$T/keys-audit/$1.key" >"$T/minisign.out" 2>&1 ||
		{ gs_show "$T/minisign.out"; gs_fatal "minisign -G failed"; }
	chmod 600 "$T/keys-audit/$1.key"
}

audit_append() {
	"$AUDIT_TOOLS/audit_append" "$1" "$T/keys-audit/$2.key" "$3" >"$T/append.out" 2>&1 ||
		{ gs_show "$T/append.out"; gs_fatal "audit_append $1 failed"; }
}

# Chromium wants a writable home and no sandbox as root; its own chatter
# (D-Bus, GPU) goes to a file.
chromium_run() {
	HOME=$T/chromium-home timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--no-first-run --user-data-dir="$T/chromium-profile" "$@" 2>>"$T/chromium.err"
}

chromium_dom() {
	mkdir -p "$T/chromium-home"
	chromium_run --dump-dom "file://$1" >"$2"
}

chromium_pdf() {
	mkdir -p "$T/chromium-home"
	chromium_run --no-pdf-header-footer --print-to-pdf="$2" "file://$1" >/dev/null
}

pdf_pages() {
	python3 -c 'import re, sys
d = open(sys.argv[1], "rb").read()
print(len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", d)))' "$1"
}

PY_CHECKS=0
py_check() {
	local what=$1
	shift
	PY_CHECKS=$((PY_CHECKS + 1))
	{
		cat <<-'EOF'
			import glob, os
			def log_lines(log):
			    stem = log[:-len(".jsonl")]
			    closed = sorted(glob.glob(stem + ".[0-9]*.[0-9]*.jsonl"), key=lambda f: f[-16:])
			    out = []
			    for f in closed + [log]:
			        out += open(f, "rb").read().split(b"\n")[:-1]
			    return out
		EOF
		cat
	} >"$T/check-$PY_CHECKS.py"
	gs_check "$what" python3 "$T/check-$PY_CHECKS.py" "$@"
}
