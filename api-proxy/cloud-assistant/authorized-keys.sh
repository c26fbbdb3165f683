#!/bin/bash
# ecs-keypair-console:authorized-keys v1
#
# The console's one fixed Cloud Assistant script (docs/activation-script.md). Run as root, it adds, replaces,
# removes or lists the OpenSSH public keys in one login user's ~/.ssh/authorized_keys. The proxy sends it
# unchanged (api-proxy/cloud-assistant/command.ts); its only inputs are the four parameters below.
#
# It prints NAME=value lines, RESULT= last (the format of ecs/key-script.ts), and exits 0 when done, 2 when
# it refuses, 3 on an unexpected error; never 193 or 194, on which Cloud Assistant stops or restarts the
# instance (https://www.alibabacloud.com/help/en/ecs/user-guide/use-a-specified-exit-code-to-stop-or-restart-instances).
# It never touches sshd_config.
set -euo pipefail
umask 077
export LC_ALL=C
unset CDPATH # so that `cd .ssh` below means this directory's .ssh and nothing else

finished=0
tmp=''
report() { printf '%s=%s\n' "$1" "$2"; }
finish() {
  finished=1
  report RESULT "$1"
}
refuse() {
  report REASON "$1"
  finish refused
  exit 2
}
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
  if [[ -n $tmp ]]; then rm -f -- "$tmp"; fi
  if ((!finished)); then
    report REASON internal-error
    report RESULT refused
    exit 3
  fi
}
trap on_exit EXIT

# Cloud Assistant replaces each placeholder below with its value, as plain text, before bash reads the script
# (EnableParameter=true). Inside a quoted here-document no quote, $, ` or \ of a value is shell syntax, so a
# value can only be checked, never run; a value with a line break shows up as a fifth line and is refused.
mapfile -t params <<'PARAMETERS'
{{mode}}
{{user_b64}}
{{key_b64}}
{{replace_b64}}
PARAMETERS
((${#params[@]} == 4)) || refuse bad-parameter
mode=${params[0]} user_b64=${params[1]} key_b64=${params[2]} replace_b64=${params[3]}

# Every value is checked before it is used: a mode word, or Base64 (docs/activation-script.md#parameters).
base64_re='^[A-Za-z0-9+/=]*$'
[[ $mode =~ ^(add|remove|list)$ ]] || refuse bad-mode
[[ $user_b64 =~ $base64_re ]] || refuse bad-user
[[ $key_b64 =~ $base64_re ]] || refuse bad-key
[[ $replace_b64 =~ $base64_re ]] || refuse bad-replace
if [[ $mode == list ]]; then [[ -z $key_b64 ]] || refuse bad-parameter; else [[ -n $key_b64 ]] || refuse bad-key; fi
[[ $mode == add || -z $replace_b64 ]] || refuse bad-parameter

# Base64 to text. A NUL byte becomes a line break, which the one-line checks below refuse.
decode() { printf '%s' "$1" | base64 -d 2>/dev/null | tr '\000' '\n'; }
hex() { od -An -v -tx1 | tr -d ' \n'; }

# check_key LINE: "type base64 [comment]" on one line, no options, a type ECS takes, and a blob that decodes
# into whole SSH strings (uint32 length, then the bytes), the first one its own type (RFC 4253 section 6.6).
# ssh-keygen, where present, must read it too.
key_re='^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) ([A-Za-z0-9+/]+={0,2})( [^[:cntrl:]]*)?$'
check_key() {
  [[ $1 =~ $key_re ]] || return 1
  local type=${BASH_REMATCH[1]} blob=${BASH_REMATCH[2]} rest length strings=0
  ((${#blob} % 4 == 0)) || return 1
  rest=$(printf '%s' "$blob" | base64 -d 2>/dev/null | hex) || return 1
  [[ $rest == "$(printf '%08x' "${#type}")$(printf '%s' "$type" | hex)"* ]] || return 1
  while [[ -n $rest ]]; do
    length=$((16#${rest:0:8}))
    ((${#rest} >= 8 + 2 * length)) || return 1
    rest=${rest:8 + 2 * length}
    strings=$((strings + 1))
  done
  ((strings >= 2)) || return 1
  if command -v ssh-keygen >/dev/null; then ssh-keygen -l -f - <<<"$1" >/dev/null 2>&1 || return 1; fi
}

user=$(decode "$user_b64") || refuse bad-user
[[ $user =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || refuse bad-user
key='' key_type='' key_blob='' old_type='' old_blob=''
if [[ -n $key_b64 ]]; then
  key=$(decode "$key_b64") || refuse bad-key
  check_key "$key" || refuse bad-key
  read -r key_type key_blob _ <<<"$key"
fi
if [[ -n $replace_b64 ]]; then
  old=$(decode "$replace_b64") || refuse bad-replace
  check_key "$old" || refuse bad-replace
  read -r old_type old_blob _ <<<"$old"
fi

report USER "$user"
entry=$(getent passwd "$user") || refuse no-such-user
IFS=: read -r name _ uid gid _ home _ <<<"$entry"
[[ $name == "$user" && $uid =~ ^[0-9]+$ && $gid =~ ^[0-9]+$ ]] || refuse no-such-user
[[ $home == /* && $home != *[[:cntrl:]]* ]] || refuse unsafe-home
report FILE "${home%/}/.ssh/authorized_keys"

# The home, ~/.ssh and authorized_keys must be the user's own: root writing into a place owned by root or by
# someone else would hand it to the user (docs/activation-script.md#refusals). The checks are made from inside
# each directory, and on the file once opened, so that a path swapped for a symlink meanwhile cannot redirect
# a write.
owned() { [[ $(stat -L -c %u -- "$1") == "$uid" ]]; }
[[ -d $home ]] || refuse no-home
cd -- "$home" || refuse no-home
home_dir=$(pwd -P)
owned . || refuse unsafe-home
[[ ! -L .ssh ]] || refuse symlink

lines=()
created=0
if [[ ! -e .ssh && $mode == add ]]; then
  mkdir -m 700 .ssh || refuse write-failed
  created=1
fi
if [[ -e .ssh ]]; then
  cd .ssh || refuse unsafe-home
  [[ $(pwd -P) == "${home_dir%/}/.ssh" ]] || refuse symlink
  if ((created)); then chown "$uid:$gid" . || refuse write-failed; fi
  owned . || refuse unsafe-home
  [[ ! -L authorized_keys ]] || refuse symlink
  if [[ -e authorized_keys ]]; then
    [[ -f authorized_keys ]] || refuse unsafe-home
    exec 3<authorized_keys || refuse unsafe-home
    { [[ -f /dev/fd/3 ]] && owned /dev/fd/3; } || refuse unsafe-home
    mapfile -t lines <&3
    exec 3<&-
  fi
fi

# line_key LINE: the line's (type, base64) pair, the key's identity as cloud-init compares it, in line_type
# and line_blob. Options before the type are skipped; blank lines and comments have no key.
line_key() {
  local -a words
  local i
  read -r -a words <<<"$1"
  [[ ${words[0]:-#} != \#* ]] || return 1
  for ((i = 0; i + 1 < ${#words[@]}; i++)); do
    if [[ ${words[i]} =~ ^(ssh|ecdsa|sk)-[A-Za-z0-9@.-]+$ && ${words[i + 1]} =~ ^[A-Za-z0-9+/]+={0,2}$ ]]; then
      line_type=${words[i]} line_blob=${words[i + 1]}
      return 0
    fi
  done
  return 1
}

# fingerprint TYPE BASE64: "SHA256:<unpadded base64> <md5 hex>", ssh-keygen's form and ECS's
# (docs/ecs-notes.md#fingerprints); from the blob's own hashes where ssh-keygen cannot say.
fingerprint() {
  local sha md5 bytes='' i
  if command -v ssh-keygen >/dev/null &&
    sha=$(ssh-keygen -l -E sha256 -f - <<<"$1 $2" 2>/dev/null) &&
    md5=$(ssh-keygen -l -E md5 -f - <<<"$1 $2" 2>/dev/null); then
    read -r _ sha _ <<<"$sha"
    read -r _ md5 _ <<<"$md5"
    md5=${md5#MD5:}
    md5=${md5//:/}
  else
    sha=$(printf '%s' "$2" | base64 -d | sha256sum) || return 1
    md5=$(printf '%s' "$2" | base64 -d | md5sum) || return 1
    for ((i = 0; i < 64; i += 2)); do bytes+="\\x${sha:i:2}"; done
    sha=SHA256:$(printf '%b' "$bytes" | base64 | tr -d '=\n')
    md5=${md5%% *}
  fi
  printf '%s %s\n' "$sha" "$md5"
}

# write_keys: the lines of `out` into a new file beside authorized_keys, which then replaces it in one
# rename, so sshd never reads half a file. noclobber creates the file (O_EXCL) rather than opening whatever
# the user may have put under that name; what was opened is checked before anything is written to it, and
# its mode and owner are set through the open descriptor.
write_keys() {
  local opened=0
  chown "$uid:$gid" . && chmod 700 . || return 1
  tmp=$(mktemp -u .authorized_keys.XXXXXXXXXX) || return 1
  set -C
  exec 4>"$tmp" && opened=1
  set +C
  ((opened)) || return 1
  [[ -f /dev/fd/4 && $(stat -L -c %u:%h:%s /dev/fd/4) == "$(id -u):1:0" ]] || return 1
  if ((${#out[@]} > 0)); then printf '%s\n' "${out[@]}" >&4 || return 1; fi
  chmod 600 /dev/fd/4 && chown "$uid:$gid" /dev/fd/4 || return 1
  exec 4>&-
  mv -f -T -- "$tmp" authorized_keys || return 1
  tmp=
  if command -v restorecon >/dev/null; then restorecon . authorized_keys || true; fi
}

if [[ $mode == list ]]; then
  for ((i = 0; i < ${#lines[@]}; i++)); do
    if line_key "${lines[i]}" && fp=$(fingerprint "$line_type" "$line_blob"); then report KEY "$line_type $fp"; fi
  done
  # sshd's effective settings for this user (-C applies Match blocks), read only; unknown when sshd cannot say.
  sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)
  settings=
  if [[ -x $sshd_bin ]]; then
    settings=$("$sshd_bin" -T -C "user=$user,host=localhost,addr=127.0.0.1" 2>/dev/null || "$sshd_bin" -T 2>/dev/null) || settings=
  fi
  setting() {
    case $(awk -v name="$1" '$1 == name { print $2; exit }' <<<"$settings") in
    yes) echo yes ;;
    no) echo no ;;
    *) echo unknown ;;
    esac
  }
  report PASSWORD_AUTHENTICATION "$(setting passwordauthentication)"
  report PUBKEY_AUTHENTICATION "$(setting pubkeyauthentication)"
  finish listed
  exit 0
fi

out=()
present=0 replaced=0 removed=0
for ((i = 0; i < ${#lines[@]}; i++)); do
  if line_key "${lines[i]}"; then
    if [[ $line_type == "$key_type" && $line_blob == "$key_blob" ]]; then
      if [[ $mode == remove ]]; then
        removed=1
        continue
      fi
      present=1
    elif [[ -n $old_blob && $line_type == "$old_type" && $line_blob == "$old_blob" ]]; then
      replaced=1
      continue
    fi
  fi
  out+=("${lines[i]}")
done

if [[ $mode == add ]]; then
  ((present)) || out+=("$key")
  if ((!present || replaced)); then write_keys || refuse write-failed; fi
  report REPLACED "$replaced"
  if ((present)); then finish present; else finish added; fi
else
  if ((removed)); then write_keys || refuse write-failed; fi
  if ((removed)); then finish removed; else finish absent; fi
fi
exit 0
