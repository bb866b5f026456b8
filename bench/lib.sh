# Shared by the bench scripts (source it from bash).

# ubuntu_like_tree DIR: a ~1.2 GiB tree from the host (/usr/bin, /usr/sbin,
# libraries, python, /etc: many small files, symlinks, hardlinks) plus a
# random kernel and initrd in /boot. Kept when DIR exists.
ubuntu_like_tree() {
	local root=$1
	[[ -d $root ]] && return
	mkdir -p "$root/usr/lib" "$root/boot" "$root/etc"
	cp -a /usr/bin /usr/sbin "$root/usr/"
	cp -a /usr/lib/x86_64-linux-gnu /usr/lib/python3 "$root/usr/lib/"
	cp -a /etc/. "$root/etc/"
	head -c 12M /dev/urandom >"$root/boot/vmlinuz"
	head -c 40M /dev/urandom >"$root/boot/initrd.img"
}

# kairos_raw TREE DIR OUT CANVOS: a stand-in Kairos rootfs in DIR (TREE
# hardlinked, plus the host's shim, signed GRUB and a grub.cfg) and its raw
# disk OUT made by CANVOS raw. Kept when OUT exists.
kairos_raw() {
	local tree=$1 k=$2 out=$3 canvos=$4
	[[ -f $out ]] && return
	rm -rf "$k" && cp -al "$tree" "$k"
	mkdir -p "$k/usr/lib/shim" "$k/usr/lib/grub/x86_64-efi-signed" "$k/etc/cos"
	cp /usr/lib/shim/shimx64.efi.signed "$k/usr/lib/shim/"
	cp /usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed "$k/usr/lib/grub/x86_64-efi-signed/"
	echo 'set timeout=1' >"$k/etc/cos/grub.cfg"
	/usr/bin/time -f "canvos raw: %e s wall, %U+%S s CPU, %M KB peak RSS" \
		"$canvos" raw --rootfs "$k" --out "$out" 2>&1 | grep -v '^raw:'
}

# measure NAME COMMAND...: runs the command under GNU time -v in $W, prints
# wall, CPU and peak RSS, and sets ${NAME}_wall.
measure() {
	local name=$1
	shift
	sync
	/usr/bin/time -v -o "$W/$name.time" "$@"
	local wall cpu rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$W/$name.time")
	cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$W/$name.time")
	rss=$(awk -F': ' '/Maximum resident/ {print int($2/1024)}' "$W/$name.time")
	echo "$name: ${wall} s wall, ${cpu} s CPU, ${rss} MiB peak RSS"
	printf -v "${name}_wall" %s "$wall"
}
