#!/usr/bin/env bash
# Builds out/oom-adjust_VERSION_ARCH.deb with dpkg-deb.
#
#   scripts/package-deb.sh            VERSION defaults to 0.0.0+gitYYYYMMDD.HASH of HEAD
#   VERSION=1.2.0 scripts/package-deb.sh
#
# The binary is a release build with the Swift runtime linked in (--static-swift-stdlib), so the
# package depends only on the C libraries it links, as ldd shows them (libc6, libmnl0): computed by
# dpkg-shlibdeps when dpkg-dev is installed, else from ldd and dpkg -S without versions. The build
# fails if any libswift*.so is still linked. /etc/oom_adjust.conf is a conffile: an upgrade keeps the
# administrator's edits. The maintainer scripts enable the unit on first install, restart it on
# upgrade, stop it on removal; with deb-systemd-helper as Debian's own packages do, with systemctl
# (guarded) where it is missing, and only touching a running systemd when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SWIFT_SCRATCH_PATH:-.build-release}
arch=$(dpkg --print-architecture)
version=${VERSION:-0.0.0+git$(git log -1 --format=%cd --date=format:%Y%m%d).$(git rev-parse --short HEAD)}
package=oom-adjust
out=out/${package}_${version}_${arch}.deb

scripts/ensure-deps.sh
swift build -c release --static-swift-stdlib --product oom-adjust --scratch-path "$scratch"
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
# A copy, taken now: nothing later may rebuild what gets packaged.
binary=$staging/oom-adjust
cp "$scratch/release/oom-adjust" "$binary"

if ldd "$binary" | grep -q 'libswift\|libFoundation\|libdispatch'; then
    ldd "$binary" >&2
    echo "package-deb.sh: the binary still links the Swift runtime dynamically; it must be built with --static-swift-stdlib" >&2
    exit 1
fi

root=$staging/root
mkdir -p "$root/DEBIAN" "$root/usr/sbin" "$root/lib/systemd/system" "$root/etc" \
    "$root/usr/share/man/man8" "$root/usr/share/man/man5" "$root/usr/share/doc/$package" \
    "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
    "$root/usr/share/fish/vendor_completions.d"

install -m 0755 "$binary" "$root/usr/sbin/oom-adjust"
strip --strip-unneeded "$root/usr/sbin/oom-adjust" 2>/dev/null || true
sed 's|/usr/local/sbin/oom-adjust|/usr/sbin/oom-adjust|g' etc/oom-adjust.service >"$root/lib/systemd/system/oom-adjust.service"
install -m 0644 etc/oom_adjust.conf "$root/etc/oom_adjust.conf"
scripts/generate-man.sh "$staging/man" "$binary" "$scratch"
gzip -9n <"$staging/man/oom-adjust.8" >"$root/usr/share/man/man8/oom-adjust.8.gz"
gzip -9n <"$staging/man/oom_adjust.conf.5" >"$root/usr/share/man/man5/oom_adjust.conf.5.gz"
"$binary" --generate-completion-script bash >"$root/usr/share/bash-completion/completions/oom-adjust"
"$binary" --generate-completion-script zsh >"$root/usr/share/zsh/vendor-completions/_oom-adjust"
"$binary" --generate-completion-script fish >"$root/usr/share/fish/vendor_completions.d/oom-adjust.fish"
if [ -f docs/OPERATIONS.md ]; then install -m 0644 docs/OPERATIONS.md "$root/usr/share/doc/$package/OPERATIONS.md"; fi

# Depends: what the binary links, by package.
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
    mkdir -p "$staging/shlibs/debian"
    printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$package" "$package" >"$staging/shlibs/debian/control"
    depends=$(cd "$staging/shlibs" && dpkg-shlibdeps -O "$root/usr/sbin/oom-adjust" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
else
    depends=$(ldd "$binary" | awk '/=> \//{print $3}' | xargs -r realpath | xargs -r dpkg -S 2>/dev/null |
        cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')
fi
case "$depends" in *libmnl0*) ;; *) echo "package-deb.sh: computed Depends lacks libmnl0: '$depends'" >&2; exit 1 ;; esac

cat >"$root/DEBIAN/control" <<EOF
Package: $package
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-oom-adjust maintainers <root@localhost>}
Section: admin
Priority: optional
Depends: $depends
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Description: OOM-killer priorities from /etc/oom_adjust.conf, applied at every exec
 oom-adjust subscribes to the kernel's process events and writes
 /proc/PID/oom_score_adj for every process that /etc/oom_adjust.conf names,
 as it starts, forks or renames itself. It replaces the oom_adjust.sh cron
 script and reads its configuration format unchanged.
EOF
echo /etc/oom_adjust.conf >"$root/DEBIAN/conffiles"

# The maintainer scripts follow what dh_installsystemd generates.
cat >"$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
unit=oom-adjust.service
if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ]; then
    if command -v deb-systemd-helper >/dev/null 2>&1; then
        deb-systemd-helper unmask "$unit" >/dev/null || true
        # was-enabled is true on a first install; on upgrades it keeps the administrator's choice.
        if deb-systemd-helper --quiet was-enabled "$unit"; then
            deb-systemd-helper enable "$unit" >/dev/null || true
        else
            deb-systemd-helper update-state "$unit" >/dev/null || true
        fi
    elif [ -z "$2" ] && command -v systemctl >/dev/null 2>&1; then
        # First install only: an upgrade keeps whatever the administrator chose.
        systemctl enable "$unit" >/dev/null 2>&1 || true
    fi
    if [ -d /run/systemd/system ]; then
        systemctl --system daemon-reload >/dev/null || true
        if [ -n "$2" ]; then action=restart; else action=start; fi
        if command -v deb-systemd-invoke >/dev/null 2>&1; then
            deb-systemd-invoke "$action" "$unit" >/dev/null || true
        else
            systemctl "$action" "$unit" >/dev/null || true
        fi
    fi
fi
exit 0
EOF
cat >"$root/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
unit=oom-adjust.service
# On upgrade the postinst restarts it; only a removal stops it.
if [ "$1" = "remove" ] && [ -d /run/systemd/system ]; then
    if command -v deb-systemd-invoke >/dev/null 2>&1; then
        deb-systemd-invoke stop "$unit" >/dev/null || true
    else
        systemctl stop "$unit" >/dev/null || true
    fi
fi
# Without deb-systemd-helper nothing would clean the enablement symlinks up after the unit file is gone.
if [ "$1" = "remove" ] && ! command -v deb-systemd-helper >/dev/null 2>&1 && command -v systemctl >/dev/null 2>&1; then
    systemctl disable "$unit" >/dev/null 2>&1 || true
fi
exit 0
EOF
cat >"$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
unit=oom-adjust.service
if [ "$1" = "remove" ] && command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper mask "$unit" >/dev/null || true
fi
if [ "$1" = "purge" ]; then
    if command -v deb-systemd-helper >/dev/null 2>&1; then
        deb-systemd-helper purge "$unit" >/dev/null || true
        deb-systemd-helper unmask "$unit" >/dev/null || true
    fi
fi
if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
fi
exit 0
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

mkdir -p out
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
