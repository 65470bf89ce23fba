#!/bin/sh
# extract-vmlinux.sh VMLINUZ OUT
#
# Extract the uncompressed ELF vmlinux from an x86 bzImage (Linux boot
# protocol >= 2.08). The compressed payload sits at
#   (setup_sects + 1) * 512 + payload_offset        (setup_sects: byte 0x1f1,
#                                                    0 means 4)
# with length payload_length (u32 at 0x24c; payload_offset is the u32 at 0x248).
# The compression is detected by magic: lz4 (legacy frame), xz, gzip, zstd,
# bzip2, lzma. kbuild appends the uncompressed size as a 4-byte little-endian
# word after the stream (gzip's own trailer ends with the same value), so some
# decompressors exit non-zero after writing a complete image: success is judged
# by the output (ELF magic and exact size), never by the decompressor's status.
set -eu

die() { echo "extract-vmlinux: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: extract-vmlinux.sh VMLINUZ OUT"
in=$1
out=$2
[ -f "$in" ] || die "no such file: $in"
[ -r "$in" ] || die "cannot read: $in"

# Readers for header fields: u8, u32 little-endian (assembled byte by byte so
# the host's byte order does not matter), and N bytes as a hex string.
rd_u8() { od -An -v -tu1 -j "$2" -N1 "$1" | tr -d ' \n'; }
rd_u32() {
	# shellcheck disable=SC2046
	set -- $(od -An -v -tu1 -j "$2" -N4 "$1")
	[ $# -eq 4 ] || return 1
	echo $(( $1 | ($2 << 8) | ($3 << 16) | ($4 << 24) ))
}
hex_at() { od -An -v -tx1 -j "$2" -N"$3" "$1" | tr -d ' \n'; }

size=$(wc -c < "$in" | tr -d ' ')
[ "$size" -gt 1024 ] || die "$in: too small to be a bzImage ($size bytes)"

# Already an ELF? Just copy it.
if [ "$(hex_at "$in" 0 4)" = "7f454c46" ]; then
	cp "$in" "$out.tmp.$$" && mv -f "$out.tmp.$$" "$out"
	exit 0
fi

[ "$(hex_at "$in" $((0x202)) 4)" = "48647253" ] || die "$in: not a bzImage (no 'HdrS' at 0x202)"
ver=$(( $(rd_u8 "$in" $((0x206))) | ($(rd_u8 "$in" $((0x207))) << 8) ))
[ "$ver" -ge $((0x208)) ] || die "$in: boot protocol $(printf '%#x' "$ver") < 2.08 has no payload fields"

setup_sects=$(rd_u8 "$in" $((0x1f1)))
[ "$setup_sects" -ne 0 ] || setup_sects=4
payload_offset=$(rd_u32 "$in" $((0x248))) || die "$in: cannot read payload_offset"
payload_length=$(rd_u32 "$in" $((0x24c))) || die "$in: cannot read payload_length"
start=$(( (setup_sects + 1) * 512 + payload_offset ))
[ "$payload_length" -gt 4 ] || die "$in: payload_length $payload_length is too small"
[ $(( start + payload_length )) -le "$size" ] ||
	die "$in: payload [$start, +$payload_length) runs past end of file ($size bytes)"

# kbuild's size word (= gzip ISIZE for gzip payloads) at the end of the payload.
want=$(rd_u32 "$in" $(( start + payload_length - 4 ))) || die "$in: cannot read size trailer"

magic=$(hex_at "$in" "$start" 6)
case $magic in
02214c18*)     fmt=lz4;   cmd="lz4 -dc" ;;
fd377a585a00)  fmt=xz;    cmd="xz -dc --single-stream" ;;
1f8b*)         fmt=gzip;  cmd="gzip -dc" ;;
28b52ffd*)     fmt=zstd;  cmd="zstd -dcq" ;;
425a68*)       fmt=bzip2; cmd="bzip2 -dc" ;;
5d0000*)       fmt=lzma;  cmd="xz -dc --format=lzma --single-stream" ;;
*) die "$in: unknown payload compression (magic $magic at offset $start)" ;;
esac
tool=${cmd%% *}
command -v "$tool" >/dev/null 2>&1 ||
	die "$in: $fmt payload needs '$tool' (apt-get install -y $(case $tool in lz4) echo lz4;; xz) echo xz-utils;; *) echo "$tool";; esac))"

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT INT TERM HUP
# The decompressor may legitimately complain about kbuild's trailing size word.
dd if="$in" bs=4096 iflag=skip_bytes,count_bytes skip="$start" count="$payload_length" 2>/dev/null |
	$cmd > "$tmp" 2>/dev/null || true

[ "$(hex_at "$tmp" 0 4)" = "7f454c46" ] || die "$in: $fmt payload did not decompress to an ELF"
got=$(wc -c < "$tmp" | tr -d ' ')
[ "$got" -eq "$want" ] || die "$in: $fmt payload decompressed to $got bytes, header says $want (truncated?)"
mv -f "$tmp" "$out"
trap - EXIT INT TERM HUP
