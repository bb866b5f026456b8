package overlay

import _ "embed"

// The MAAS files (reference: CanvOS cloudconfigs/ and build-kairos-maas.sh).
var (
	// StylusMAAS is the Kairos cloud-config installed as /system/oem/80_stylus_maas.yaml.
	//go:embed maas/80_stylus_maas.yaml
	StylusMAAS []byte
	// MAASContent is /opt/spectrocloud/scripts/maas-content.sh, run by StylusMAAS.
	//go:embed maas/maas-content.sh
	MAASContent []byte
	// CurtinHooks is /curtin/curtin-hooks on the MAAS disk's Ubuntu partition.
	//go:embed maas/curtin-hooks
	CurtinHooks []byte
	// SetupRecovery is /opt/spectrocloud/scripts/setup-recovery.sh on the Ubuntu partition.
	//go:embed maas/setup-recovery.sh
	SetupRecovery []byte
	// SetupRecoveryService is the systemd unit that runs SetupRecovery once.
	//go:embed maas/setup-recovery.service
	SetupRecoveryService []byte
	// GrubCustom is the COS_OEM grubcustom entry that boots the Ubuntu partition.
	//go:embed maas/grubcustom
	GrubCustom []byte
	// KairosReset is the text/template of the Kairos raw disk's COS_OEM
	// 01_reset.yaml; it takes StateMiB.
	//go:embed maas/01_reset.yaml
	KairosReset string
)
