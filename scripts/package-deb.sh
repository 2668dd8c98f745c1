#!/usr/bin/env bash
# Builds the Debian package the Debian way and prints its path, out/oom-adjust_VERSION_ARCH.deb, as the
# LAST line of stdout (scripts and tests rely on that line).
#
#   scripts/package-deb.sh            VERSION from scripts/version.sh (a tag, else 0.0.0+gitDATE.HASH)
#   VERSION=1.2.0 scripts/package-deb.sh
#
# What it does:
#   1. copies the working tree (what git tracks, plus new files it does not ignore) into
#      .build-deb/oom-adjust/, rewriting only files that changed, so SwiftPM's cache stays valid;
#   2. when VERSION is not debian/changelog's newest entry, adds a snapshot entry for it to that
#      copy's changelog (never to yours), so the package, its changelog and `oom-adjust --version`
#      all say VERSION;
#   3. runs `dpkg-buildpackage -b -us -uc` there: debian/rules builds the release binary with the Swift
#      runtime linked in (--static-swift-stdlib), dh_installsystemd writes the maintainer scripts, and
#      /etc/oom_adjust.conf is a conffile;
#   4. copies the .deb to out/.
# SwiftPM's build folder is .build-deb/swift (SWIFT_SCRATCH_PATH to choose another). Needs debhelper
# and dpkg-dev (scripts/ensure-test-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=${VERSION:-$(scripts/version.sh)}
package=oom-adjust
arch=$(dpkg --print-architecture)
stage=$root/.build-deb
tree=$stage/$package
scratch=${SWIFT_SCRATCH_PATH:-$stage/swift}
case "$scratch" in /*) ;; *) scratch=$root/$scratch ;; esac

scripts/ensure-deps.sh
for tool in dpkg-buildpackage dh; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "package-deb.sh: $tool is missing; run scripts/ensure-test-deps.sh as root (or apt-get install --no-install-recommends debhelper dpkg-dev)" >&2
        exit 1
    }
done

# 1. The working tree's files, NUL-separated, without the build folders.
list_files() {
    if git rev-parse --show-toplevel >/dev/null 2>&1 && [ "$(git rev-parse --show-toplevel)" = "$root" ]; then
        git ls-files -z --cached --others --exclude-standard
    else
        # A source tarball: everything but build output.
        find . \( -name .git -o -name '.build*' -o -path ./out \) -prune -o \( -type f -o -type l \) -printf '%P\0'
    fi
}
mkdir -p "$tree"
wanted=$(mktemp)
trap 'rm -f "$wanted"' EXIT
while IFS= read -r -d '' file; do
    [ -e "$file" ] || [ -L "$file" ] || continue # deleted in the working tree, not yet in git
    printf '%s\n' "$file" >>"$wanted"
    if ! cmp -s "$file" "$tree/$file" 2>/dev/null; then
        mkdir -p "$(dirname "$tree/$file")"
        rm -f "$tree/$file"
        cp -P -p "$file" "$tree/$file"
    fi
done < <(list_files)
# Files gone from the working tree go from the copy too (so do the last build's products: debian/rules
# clean would remove those anyway).
(cd "$tree" && find . \( -type f -o -type l \) -printf '%P\n') | sort >"$wanted.have"
sort "$wanted" | comm -13 - "$wanted.have" | (cd "$tree" && xargs -r -d '\n' rm -f)
rm -f "$wanted.have"

# 2. The version, in the copy's changelog.
newest=$(cd "$tree" && dpkg-parsechangelog -SVersion)
if [ "$version" != "$newest" ]; then
    maintainer=$(cd "$tree" && dpkg-parsechangelog -SMaintainer)
    commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo "an unknown commit")
    # The commit's date (reproducible), but later than the entry below it, as a new entry must be.
    when=$(git log -1 --format=%ct 2>/dev/null || date +%s)
    previous=$(cd "$tree" && dpkg-parsechangelog -STimestamp)
    [ "$when" -gt "$previous" ] || when=$((previous + 1))
    when=$(date -R -d "@$when")
    entry=$(mktemp)
    {
        echo "$package ($version) unstable; urgency=medium"
        echo
        echo "  * Snapshot of commit $commit, built by scripts/package-deb.sh."
        echo
        echo " -- $maintainer  $when"
        echo
        cat "$tree/debian/changelog"
    } >"$entry"
    mv "$entry" "$tree/debian/changelog"
fi

# 3. The build.
rm -f "$stage/${package}_"*
log=$stage/build.log
if ! (cd "$tree" && SWIFT_SCRATCH_PATH=$scratch dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "package-deb.sh: dpkg-buildpackage failed; the whole log is $log" >&2
    exit 1
fi
built=$stage/${package}_${version}_${arch}.deb
[ -f "$built" ] || { echo "package-deb.sh: dpkg-buildpackage made no $built (log: $log)" >&2; exit 1; }

# 4. The result.
mkdir -p out
out=out/${package}_${version}_${arch}.deb
cp "$built" "$out"
echo "$out"
