/* arch/x86/cpuid.h — the guest's CPUID: KVM's supported set, topology, the
 * hypervisor leaves, and a CPU template that masks features.
 *
 * Templates:
 *   default — what KVM supports, minus XSAVE and everything that needs it
 *             (AVX*, AMX, FMA, F16C...), and minus CMPXCHG16B. Some of our
 *             hosts (nested, software-assisted KVM; TCG-emulated KVM) cannot
 *             emulate xrstor/cmpxchg16b for a guest or disagree on the XSAVE
 *             area size; this template boots on all of them.
 *   host    — everything KVM_GET_SUPPORTED_CPUID reports (fastest on a
 *             faithful KVM host).
 */
#ifndef NIMBUS_ARCH_X86_CPUID_H
#define NIMBUS_ARCH_X86_CPUID_H

#include <linux/kvm.h>

enum cpu_template { CPU_TEMPLATE_DEFAULT = 0, CPU_TEMPLATE_HOST };

/* Parse a template name; returns 0 or -EINVAL. */
__attribute__((warn_unused_result)) int cpu_template_parse(const char *name, enum cpu_template *out);
const char *cpu_template_name(enum cpu_template t);

/* Set the TSC-deadline timer bit (leaf 1, ECX 24) in a supported set. KVM
 * emulates that timer mode when KVM_CAP_TSC_DEADLINE_TIMER is present but
 * leaves the bit out of KVM_GET_SUPPORTED_CPUID: userspace sets it (KVM API
 * documentation). Without it Linux guests run the local APIC timer in
 * one-shot mode and must calibrate it. */
void cpuid_add_tsc_deadline(struct kvm_cpuid2 *c);

/* Rewrite `c` (a copy of the supported set) in place for vCPU `cpu_index`
 * of `ncpus`: APIC IDs and topology, the hypervisor bit, and the template's
 * masks. */
void cpuid_prepare(struct kvm_cpuid2 *c, unsigned cpu_index, unsigned ncpus, enum cpu_template t);

#endif
