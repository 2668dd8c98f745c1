#!/usr/bin/env bash
# Installs oom-adjust from this source tree, or removes it again.
#
#   scripts/install.sh [--prefix DIR] [--destdir DIR] [--unitdir DIR] [--no-start]
#   scripts/install.sh --uninstall [--prefix DIR] [--destdir DIR] [--unitdir DIR]
#
# Installs (under PREFIX, default /usr/local): sbin/oom-adjust (release build, Swift runtime linked in),
# the systemd unit, bash/zsh/fish completions, the man pages oom-adjust(8) and oom_adjust.conf(5), and
# /etc/oom_adjust.conf from etc/ only when there is none (an existing config is never touched). When
# systemd is running and no DESTDIR is given, it enables the unit and (re)starts it.
#
# --uninstall removes exactly what an install recorded in PREFIX/share/oom-adjust/installed-files,
# after stopping and disabling the unit; /etc/oom_adjust.conf stays.
#
# DESTDIR (or --destdir) installs into a staging root: nothing outside it is touched and systemd is
# left alone. SWIFT_SCRATCH_PATH picks the build folder (default .build-release).
#
# It also looks for the old cron / rc.local oom_adjust.sh set-up and says what to remove; it removes
# nothing of it itself.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}
unitdir=
uninstall=false
start=true
while [ $# -gt 0 ]; do
    case "$1" in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    --unitdir) unitdir=${2:?--unitdir needs a directory}; shift 2 ;;
    --unitdir=*) unitdir=${1#*=}; shift ;;
    --uninstall) uninstall=true; shift ;;
    --no-start) start=false; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be absolute, e.g. /usr/local" >&2; exit 64 ;; esac
destdir=${destdir%/}
if [ -z "$unitdir" ]; then
    # Directories systemd searches; any other prefix gets the administrator's unit directory.
    case "$prefix" in
    /usr/local | /usr) unitdir=$prefix/lib/systemd/system ;;
    *) unitdir=/etc/systemd/system ;;
    esac
fi
scratch=${SWIFT_SCRATCH_PATH:-.build-release}
staging=

root=$destdir
sbindir=$prefix/sbin
datadir=$prefix/share
manifest=$datadir/oom-adjust/installed-files
config=/etc/oom_adjust.conf
unit=oom-adjust.service

say() { echo "install.sh: $*"; }

# systemctl only for the live system: never under DESTDIR, never without a running systemd.
systemd_running() { [ -z "$destdir" ] && [ -d /run/systemd/system ]; }

# Prints what remains of the old cron/rc.local set-up that ran oom_adjust.sh, under $root.
detect_legacy() {
    local found=() file line
    for file in "$root"/etc/crontab "$root"/etc/rc.local "$root"/etc/cron.d/* "$root"/etc/cron.hourly/* \
        "$root"/etc/cron.daily/* "$root"/etc/cron.weekly/* "$root"/etc/cron.monthly/* \
        "$root"/var/spool/cron/crontabs/* "$root"/var/spool/cron/*; do
        [ -f "$file" ] || continue
        case "$(basename "$file")" in
        *oom_adjust*) found+=("${file#"$root"}: the whole file") ; continue ;;
        esac
        # Every line that runs the script and is not commented out.
        while IFS= read -r line; do
            found+=("${file#"$root"}:$line")
        done < <(grep -n 'oom_adjust\.sh' "$file" 2>/dev/null | grep -v '^[0-9]*:[[:space:]]*#' || true)
    done
    for file in /usr/sbin/oom_adjust.sh /usr/local/sbin/oom_adjust.sh /usr/local/bin/oom_adjust.sh /etc/oom_adjust.sh; do
        if [ -e "$root$file" ]; then found+=("$file: the old script"); fi
    done
    # root's crontab through crontab(1), on the live system only.
    if [ -z "$destdir" ] && command -v crontab >/dev/null 2>&1; then
        while IFS= read -r line; do found+=("crontab -l (root):$line"); done \
            < <(crontab -l 2>/dev/null | grep -n 'oom_adjust\.sh' | grep -v '^[0-9]*:[[:space:]]*#' || true)
    fi
    if [ ${#found[@]} -gt 0 ]; then
        echo
        say "found the old oom_adjust.sh set-up, which oom-adjust.service replaces. Remove it by hand:"
        say "both together would fight over the same values at every cron run."
        for line in "${found[@]}"; do echo "    $line"; done
        echo
    fi
}

do_uninstall() {
    if systemd_running && [ -f "$unitdir/$unit" ]; then
        systemctl disable --now "$unit" || say "could not stop or disable $unit (continuing)"
    fi
    local removed=0 path directories=()
    if [ -f "$root$manifest" ]; then
        while IFS= read -r path; do
            [ -n "$path" ] || continue
            # Never the configuration, whatever the manifest says.
            [ "$path" = "$config" ] && continue
            case "$path" in
            */) directories=("$path" "${directories[@]}") ;;
            *) if [ -e "$root$path" ] || [ -L "$root$path" ]; then
                rm -f "$root$path"
                removed=$((removed + 1))
            fi ;;
            esac
        done <"$root$manifest"
        rm -f "$root$manifest"
        # Deepest first; a directory that something else now uses stays.
        for path in "${directories[@]}"; do rmdir "$root$path" 2>/dev/null || true; done
    else
        say "no $manifest: removing the files an install puts in place"
        for path in "$sbindir/oom-adjust" "$unitdir/$unit" "$datadir/bash-completion/completions/oom-adjust" \
            "$datadir/zsh/site-functions/_oom-adjust" "$datadir/fish/vendor_completions.d/oom-adjust.fish" \
            "$datadir/man/man8/oom-adjust.8" "$datadir/man/man5/oom_adjust.conf.5" \
            "$datadir/doc/oom-adjust/oom_adjust.conf.sample"; do
            if [ -e "$root$path" ]; then rm -f "$root$path"; removed=$((removed + 1)); fi
        done
    fi
    rmdir "$root$datadir/oom-adjust" "$root$datadir/doc/oom-adjust" 2>/dev/null || true
    if systemd_running; then systemctl daemon-reload; fi
    say "removed $removed file(s)"
    if [ -f "$root$config" ]; then say "kept $config (your rules); delete it yourself if you no longer want it"; fi
}

# Creates PATH's directory and records every directory it had to create (with a trailing /, parents
# first) so that --uninstall removes those again when they are empty.
created=()
make_directory() {
    local directory=$1
    if [ "$directory" = / ]; then mkdir -p "$root/"; return 0; fi
    [ -d "$root$directory" ] && return 0
    make_directory "$(dirname "$directory")"
    mkdir "$root$directory"
    created+=("$directory/")
}

# put SOURCE PATH MODE: puts a file in place atomically (a running agent keeps its old binary) and
# records PATH in the manifest.
installed=()
put() {
    local source=$1 path=$2 mode=$3
    make_directory "$(dirname "$path")"
    install -m "$mode" "$source" "$root$path.new"
    mv -f "$root$path.new" "$root$path"
    installed+=("$path")
}

do_install() {
    scripts/ensure-deps.sh
    say "building release (swift build -c release --static-swift-stdlib, in $scratch)"
    swift build -c release --static-swift-stdlib --product oom-adjust --scratch-path "$scratch"
    staging=$(mktemp -d)
    trap 'rm -rf "$staging"' EXIT
    # A copy, taken now: nothing later may rebuild what gets installed.
    local binary="$staging/oom-adjust"
    cp "$scratch/release/oom-adjust" "$binary"

    say "generating man pages"
    scripts/generate-man.sh "$staging/man" "$binary" "$scratch"
    for shell in bash zsh fish; do
        "$binary" --generate-completion-script "$shell" >"$staging/completion.$shell"
    done
    sed "s|/usr/local/sbin/oom-adjust|$sbindir/oom-adjust|g" etc/oom-adjust.service >"$staging/$unit"

    put "$binary" "$sbindir/oom-adjust" 0755
    put "$staging/$unit" "$unitdir/$unit" 0644
    put "$staging/completion.bash" "$datadir/bash-completion/completions/oom-adjust" 0644
    put "$staging/completion.zsh" "$datadir/zsh/site-functions/_oom-adjust" 0644
    put "$staging/completion.fish" "$datadir/fish/vendor_completions.d/oom-adjust.fish" 0644
    put "$staging/man/oom-adjust.8" "$datadir/man/man8/oom-adjust.8" 0644
    put "$staging/man/oom_adjust.conf.5" "$datadir/man/man5/oom_adjust.conf.5" 0644
    put etc/oom_adjust.conf "$datadir/doc/oom-adjust/oom_adjust.conf.sample" 0644

    if [ -e "$root$config" ] || [ -L "$root$config" ]; then
        say "kept the existing $config; the shipped sample is $datadir/doc/oom-adjust/oom_adjust.conf.sample"
    else
        mkdir -p "$root/etc"
        # cp -n: even if a config appeared meanwhile, it is not overwritten.
        cp -n etc/oom_adjust.conf "$root$config"
        chmod 0644 "$root$config"
        say "installed the sample rules as $config; review them (oom_adjust.conf(5)), then: systemctl reload oom-adjust"
    fi

    make_directory "$(dirname "$manifest")"
    # Directories last, so that uninstall empties them before removing them.
    printf '%s\n' "${installed[@]}" "$manifest" "${created[@]}" >"$root$manifest"
    say "installed ${#installed[@]} files under ${root:-/}$prefix and ${root:-/}$unitdir"

    if systemd_running; then
        if "$root$sbindir/oom-adjust" check --config "$config" >/dev/null; then
            systemctl daemon-reload
            systemctl enable "$unit"
            # restart: starts it, or replaces a running agent with the new binary.
            if $start; then
                if systemctl restart "$unit"; then
                    say "$unit enabled and running"
                else
                    say "$unit did not start: see systemctl status oom-adjust and journalctl -u oom-adjust"
                    exit 1
                fi
            fi
        else
            say "$config is invalid (oom-adjust check says why); $unit was not enabled or started"
        fi
    elif [ -n "$destdir" ]; then
        say "DESTDIR is set: systemd left alone"
    else
        say "systemd is not running here: start 'oom-adjust run' from your init system instead"
    fi
    detect_legacy
}

if $uninstall; then do_uninstall; else do_install; fi
