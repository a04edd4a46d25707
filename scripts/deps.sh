#!/bin/sh
# Install the Debian packages the build and the tests need, if missing.
# Uses sudo when not root.  Says what it installs.
# With the argument "fuzz": also what make fuzz needs (clang, libFuzzer).
# With "browser": also what tests/browser.sh needs (make deps-browser, for
# check-full): chromium, python3 (it drives chromium through the DevTools
# protocol) and the DejaVu fonts the measured layouts were made with.
# g++: the headers are checked as C++ (tests/cases/install/cxx-headers);
# parallel: GNU parallel, for the --partial/--merge recipes that are tests.
# groff-base, man-db: the man suite renders every page with man --warnings.
# zlib1g-dev, libzstd-dev: .gz and .zst input read directly; gzip and zstd
# make the compressed test inputs.
pkgs="gcc make libc6-dev pkg-config libcsv-dev libjansson-dev libcmocka-dev zlib1g-dev libzstd-dev mandoc groff-base man-db jq valgrind tzdata g++ parallel gzip zstd"
[ "${1:-}" = fuzz ] && pkgs="$pkgs clang libclang-rt-14-dev"
[ "${1:-}" = browser ] && pkgs="$pkgs chromium python3 fonts-dejavu-core"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing packages:$missing (no apt-get here: install them by hand)" >&2
	exit 1
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing:$missing"
# another apt-get at work (a second session, unattended-upgrades): wait for
# its lock rather than fail at once
lock="-o DPkg::Lock::Timeout=600"
$SUDO apt-get $lock update -qq || exit 1
DEBIAN_FRONTEND=noninteractive $SUDO apt-get $lock install -y -qq $missing >/dev/null || exit 1
