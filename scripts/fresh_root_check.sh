#!/usr/bin/env bash
# Runs the README's first command (scripts/demo.sh) as root in a bare Debian 12 root made by
# debootstrap (minbase), on the commit at HEAD, so that a missing package or a build step that
# only works on a developer's machine fails here instead of on a user's fresh machine.
#   scripts/fresh_root_check.sh [--tests] [--keep] [--no-apt-cache]
#   --tests         also run scripts/test.sh in the root (../shared is copied beside the checkout)
#   --keep          leave the root in place (its path is printed) instead of deleting it
#   --no-apt-cache  download every .deb again instead of reusing the persistent archive cache
# The bare root is cached as a tarball under $VITCPP_FRESH_ROOT_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/vitcpp-fresh-root), keyed by the mirror and rebuilt when older
# than $VITCPP_FRESH_ROOT_MAX_AGE_DAYS (default 7). Downloaded .debs are kept in the same folder
# (emptied when the root is rebuilt) and bind-mounted into the root's apt archive, so apt still
# resolves and installs everything but need not download it again. All mounts live in a private
# mount namespace and are also unmounted by a trap, so no exit path leaves one behind.
# shellcheck disable=SC2317  # 0.9 takes the final exit to make every function unreachable
set -euo pipefail

readonly SUITE=bookworm
readonly CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
readonly DEVICES=(null zero full random urandom tty)

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'fresh_root_check: %s\n' "$*" >&2; exit 1; }

# ---- mounts (run inside the private mount namespace) ---------------------------------------

mounts_under() {  # deepest first, so that nested mounts come off before their parents
  findmnt -rn -o TARGET | awk -v root="$1" 'index($0, root "/") == 1' | sort -r
}

unmount_all_under() {
  local target
  while IFS= read -r target; do
    umount "$target" 2>/dev/null || umount -l "$target"
  done < <(mounts_under "$1")
  [ -z "$(mounts_under "$1")" ] || { echo "fresh_root_check: mounts remain under $1" >&2; return 1; }
}

mount_pseudo_filesystems() {  # a private /dev with only the usual device files, and /proc
  local root=$1 dev
  mount -t proc proc "$root/proc"
  mount -t tmpfs -o mode=755,nosuid dev "$root/dev"
  for dev in "${DEVICES[@]}"; do
    touch "$root/dev/$dev"
    mount --bind "/dev/$dev" "$root/dev/$dev"
  done
  mkdir -m 1777 "$root/dev/shm"
  mkdir "$root/dev/pts"  # apt logs its maintainer scripts through a pseudo-terminal
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
}

# Called as `fresh_root_check.sh --in-namespace ROOT APT_ARCHIVE COMMAND` under unshare.
run_in_namespace() {
  NAMESPACE_ROOT=$1
  local root=$1 apt_archive=$2 command=$3
  trap 'unmount_all_under "$NAMESPACE_ROOT"' EXIT
  mount_pseudo_filesystems "$root"
  if [ -n "$apt_archive" ]; then
    mount --bind "$apt_archive" "$root/var/cache/apt/archives"
  fi
  env -i HOME=/root PATH="$CHROOT_PATH" LANG=C.UTF-8 TERM=dumb \
      VITCPP_CMAKE_ARGS="${VITCPP_CMAKE_ARGS:-}" \
      chroot "$root" bash -c "cd /root/vitcpp && $command"
}

# ---- the bare root and its cache ----------------------------------------------------------

mirror_from_apt_sources() {  # the first Debian mirror the machine's apt uses for the suite
  local sources=/etc/apt/sources.list.d/debian.sources list=/etc/apt/sources.list uri=""
  if [ -r "$sources" ]; then
    uri=$(awk -v suite="$SUITE" '
      /^URIs:/ { uris = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) found = uris }
      /^$/ { uris = "" } END { print found }' "$sources")
  fi
  if [ -z "$uri" ] && [ -r "$list" ]; then
    uri=$(sed -E 's/\[[^]]*\]//' "$list" | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }')
  fi
  [ -n "$uri" ] || die "no '$SUITE' mirror in $sources or $list"
  printf '%s\n' "${uri%/}"
}

compress() { if command -v zstd > /dev/null; then zstd -T0 -q "$@"; else gzip -1 "$@"; fi; }
tarball_suffix() { if command -v zstd > /dev/null; then echo tar.zst; else echo tar.gz; fi; }

tarball_path() {  # one tarball per mirror: a root from another mirror has other sources.list
  local key
  key=$(printf '%s %s minbase\n' "$SUITE" "$1" | sha256sum | cut -c1-12)
  printf '%s/%s-minbase-%s.%s\n' "$CACHE_DIR" "$SUITE" "$key" "$(tarball_suffix)"
}

tarball_is_fresh() {
  [ -s "$1" ] && [ -z "$(find "$1" -mtime +"$MAX_AGE_DAYS" -print)" ]
}

# Makes the bare root in $2 from mirror $1 and stores it as tarball $3 before anything touches it.
debootstrap_into() {
  local mirror=$1 root=$2 tarball=$3
  command -v debootstrap > /dev/null || {
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap > /dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
          apt-get install -y -qq --no-install-recommends debootstrap > /dev/null; }
  }
  say "debootstrap --variant=minbase $SUITE $mirror"
  debootstrap --variant=minbase "$SUITE" "$root" "$mirror" > "$root.debootstrap.log" 2>&1 ||
    { tail -n 30 "$root.debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  rm -f "$root.debootstrap.log"
  rm -f "$root"/var/cache/apt/archives/*.deb  # debootstrap's downloads, not part of the system
  mkdir -p "$CACHE_DIR"
  tar -C "$root" --numeric-owner -cf - . | compress > "$tarball.tmp.$$"
  mv "$tarball.tmp.$$" "$tarball"
}

# Fills the empty directory $2 with a bare root for mirror $1, from the cache when it is fresh.
# Runs hold the cache lock shared for their whole length; a rebuild holds it exclusively, so it
# never empties the apt archive under a run that is installing from it.
bare_root_into() {
  local mirror=$1 root=$2 tarball
  tarball=$(tarball_path "$mirror")
  mkdir -p "$CACHE_DIR"
  exec {CACHE_LOCK}> "$CACHE_DIR/.lock"
  flock -s "$CACHE_LOCK"
  if ! tarball_is_fresh "$tarball"; then
    flock -x "$CACHE_LOCK"
    if ! tarball_is_fresh "$tarball"; then  # nobody rebuilt it while this run waited
      debootstrap_into "$mirror" "$root" "$tarball"
      # Packages age with the root: start the archive afresh so that it cannot grow forever.
      if [ -n "$APT_ARCHIVE" ]; then rm -f "$APT_ARCHIVE"/*.deb; fi
      flock -s "$CACHE_LOCK"
      return
    fi
    flock -s "$CACHE_LOCK"
  fi
  say "bare root from cache $tarball"
  compress -d < "$tarball" | tar -C "$root" --numeric-owner -xpf -
}

# ---- the commit under test ----------------------------------------------------------------

# Only what HEAD holds goes in: uncommitted and ignored files (build/, out/) stay outside.
checkout_head_into() {
  local repo=$1 dest=$2 head
  head=$(git -C "$repo" rev-parse HEAD)
  git init -q "$dest"
  git -C "$dest" fetch -q "$repo" "$head"
  git -C "$dest" checkout -q --detach FETCH_HEAD
  [ "$(git -C "$dest" rev-parse HEAD)" = "$head" ] || die "checkout in the root is not HEAD ($head)"
  say "commit under test: $(git -C "$dest" log -1 --format='%h %s' | cut -c1-100)"
  if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
    say "note: uncommitted changes in $repo are not part of this check"
  fi
}

# ---- running in the root ------------------------------------------------------------------

timestamped() {  # prefixes each line with the seconds since the step began
  local start=$SECONDS line
  while IFS= read -r line; do printf '[%4ds] %s\n' $((SECONDS - start)) "$line"; done
}

# Runs COMMAND in the checkout inside the root; its output goes to the terminal and to LOG.
run_in_root() {
  local command=$1 log=$2 status
  set +e
  unshare --mount --propagation private -- \
    bash "$SELF" --in-namespace "$ROOT" "$APT_ARCHIVE" "$command" 2>&1 | timestamped | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  return "$status"
}

check_demo_output() {  # the demo must have verified the import and printed classifications
  local log=$1
  grep -Eq 'verify logits vs .*logits\.npy: max abs error .*  OK$' "$log" ||
    die "demo printed no passing 'verify logits vs ...: max abs error ... OK' line"
  grep -Eq '^\[ *[0-9]+s\] +[0-9.]+%  ' "$log" || die "demo printed no classification lines"
}

PHASES=()
CURRENT_PHASE=""
phase() {  # phase NAME COMMAND...: runs it (under set -e) and records its wall time
  CURRENT_PHASE=$1
  PHASE_START=$SECONDS
  shift
  say "phase: $CURRENT_PHASE"
  "$@"
  PHASES+=("$(printf '%-14s %5ds' "$CURRENT_PHASE" $((SECONDS - PHASE_START)))")
  CURRENT_PHASE=""
}

print_phases() {
  local line
  say "phase times (wall)"
  for line in "${PHASES[@]}"; do printf '   %s\n' "$line" >&2; done
  printf '   %-14s %5ds\n' total "$SECONDS" >&2
}

cleanup() {
  local status=$?
  trap - EXIT
  if [ -n "$CURRENT_PHASE" ]; then
    PHASES+=("$(printf '%-14s %5ds  FAILED' "$CURRENT_PHASE" $((SECONDS - PHASE_START)))")
  fi
  [ -n "${WORK:-}" ] || exit "$status"
  # Everything was mounted in a namespace that is gone; this only catches the impossible case.
  unmount_all_under "$WORK" || { echo "fresh_root_check: left $WORK in place" >&2; exit 1; }
  if [ "$KEEP" = 1 ]; then
    say "root kept: $ROOT (chroot $ROOT bash)"
  else
    phase "cleanup" rm -rf --one-file-system "$WORK" || status=1
  fi
  print_phases
  if [ "$status" = 0 ]; then say "fresh root check passed"; else say "fresh root check FAILED"; fi
  exit "$status"
}

# ---- main ---------------------------------------------------------------------------------

parse_options() {
  TESTS=0
  KEEP=0
  USE_APT_CACHE=1
  local arg
  for arg in "$@"; do
    case $arg in
      --tests) TESTS=1 ;;
      --keep) KEEP=1 ;;
      --no-apt-cache) USE_APT_CACHE=0 ;;
      -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown option $arg (see --help)" ;;
    esac
  done
}

check_prerequisites() {
  [ "$(id -u)" = 0 ] || die "must run as root (it uses debootstrap, mount and chroot)"
  local tool
  for tool in git unshare findmnt chroot tar flock; do
    command -v "$tool" > /dev/null || die "needs '$tool', which is not installed"
  done
}

main() {
  parse_options "$@"
  check_prerequisites
  SELF=$(realpath "$0")
  REPO=$(cd "$(dirname "$SELF")/.." && pwd)
  CACHE_DIR=${VITCPP_FRESH_ROOT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/vitcpp-fresh-root}
  MAX_AGE_DAYS=${VITCPP_FRESH_ROOT_MAX_AGE_DAYS:-7}
  APT_ARCHIVE=""
  if [ "$USE_APT_CACHE" = 1 ]; then
    APT_ARCHIVE=$CACHE_DIR/apt-archives
    mkdir -p "$APT_ARCHIVE/partial"
  fi
  MIRROR=$(mirror_from_apt_sources)
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/vitcpp-fresh-root.XXXXXX")
  ROOT=$WORK/root
  mkdir "$ROOT"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  say "bare $SUITE root from $MIRROR in $ROOT"
  phase "bare root" bare_root_into "$MIRROR" "$ROOT"
  phase "checkout" checkout_head_into "$REPO" "$ROOT/root/vitcpp"
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  phase "demo.sh" run_in_root "bash scripts/demo.sh" "$WORK/demo.log"
  check_demo_output "$WORK/demo.log"
  if [ "$TESTS" = 1 ]; then
    # The tests read their fixtures from ../shared; the demo must not need them.
    if [ -d "$REPO/../shared" ]; then cp -a "$REPO/../shared" "$ROOT/root/shared"; fi
    phase "test.sh" run_in_root "bash scripts/test.sh" "$WORK/test.log"
  fi
}

# Bash reads a script as it runs it; this block is read whole first, and its exit stops bash
# before it reads on, so that editing the file during a run cannot change the run.
{
  if [ "${1:-}" = --in-namespace ]; then shift; run_in_namespace "$@"; else main "$@"; fi
  exit
}
