# The virt board alone (harness/qemu.sh, --without-default-devices).  What
# Kconfig otherwise turns on by default and this build needs: the v7M core
# (7.2's TCG for arm needs it), the in-kernel GIC of KVM (kvm-arm-gicv3)
# and the GICv3 that TCG emulates.
CONFIG_ARM_VIRT=y
CONFIG_ARM_V7M=y
CONFIG_ARM_GIC_KVM=y
CONFIG_ARM_GICV3_TCG=y
