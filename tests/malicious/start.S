/* start.S — entry of a malicious-guest image. nimbus enters here in 64-bit
 * long mode (CS 0x10, identity map of 4 GiB, interrupts off). We switch to
 * our own stack, install an IDT whose every exception prints its vector and
 * resets (so a guest-side fault is never mistaken for success), and call
 * rt_main(). */
	.section .text.start, "ax"
	.code64
	.globl _start
_start:
	cli
	lea	stack_top(%rip), %rsp
	call	rt_main
1:	hlt
	jmp	1b

/* Exception stubs: vector in %edi, then rt_exception(vector, frame). */
	.text
	.macro EXC n
	.globl exc_\n
exc_\n:
	mov	$\n, %edi
	mov	%rsp, %rsi
	jmp	exc_common
	.endm
	EXC 0
	EXC 1
	EXC 2
	EXC 3
	EXC 4
	EXC 5
	EXC 6
	EXC 7
	EXC 8
	EXC 9
	EXC 10
	EXC 11
	EXC 12
	EXC 13
	EXC 14
	EXC 15
	EXC 16
	EXC 17
	EXC 18
	EXC 19
	EXC 20
	EXC 21
exc_common:
	and	$-16, %rsp
	call	rt_exception
2:	hlt
	jmp	2b

	.section .data
	.globl exc_table
	.balign 8
exc_table:
	.quad exc_0, exc_1, exc_2, exc_3, exc_4, exc_5, exc_6, exc_7, exc_8, exc_9, exc_10
	.quad exc_11, exc_12, exc_13, exc_14, exc_15, exc_16, exc_17, exc_18, exc_19, exc_20, exc_21

	.section .bss
	.balign 4096
	.space 65536
stack_top:
	.section .note.GNU-stack, "", @progbits
