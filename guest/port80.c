/* guest/port80.c — write one byte to I/O port 0x80 from guest userspace.
 *
 * Debian's cloud kernel has no /dev/port (CONFIG_DEVPORT is off), so the
 * default guest's /init uses this to mark "userspace reached" on nimbus's
 * debug port (bench/boot measures it). Freestanding: no libc, raw syscalls,
 * built by scripts/prepare-guest.sh with `gcc -static -nostdlib`.
 * Usage: port80 [BYTE] (decimal, default 97 = 0x61, a userspace code).
 */
#define SYS_EXIT 60
#define SYS_IOPERM 173

static long syscall3(long n, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

static unsigned char parse(const char *s)
{
	unsigned v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned)(*s++ - '0');
	return (unsigned char)v;
}

__attribute__((noreturn, used)) void port80_main(long argc, char **argv)
{
	unsigned char v = argc > 1 ? parse(argv[1]) : 0x61;
	long rc = syscall3(SYS_IOPERM, 0x80, 1, 1);
	if (rc == 0)
		__asm__ volatile("outb %0, $0x80" : : "a"(v));
	syscall3(SYS_EXIT, rc == 0 ? 0 : 1, 0, 0);
	__builtin_unreachable();
}

/* Entry: argc at (%rsp), argv at 8(%rsp). */
__asm__(".global _start\n"
	"_start:\n"
	"  mov (%rsp), %rdi\n"
	"  lea 8(%rsp), %rsi\n"
	"  and $-16, %rsp\n"
	"  call port80_main\n");
