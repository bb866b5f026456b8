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
