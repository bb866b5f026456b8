package imageplan

// InstallerOptions selects the variations of the installer image (CanvOS
// +iso-image).
type InstallerOptions struct {
	// UKI trims stylus to agent-provider-stylus and drops luet, to keep the
	// unified kernel image under the firmware's load limit.
	UKI bool
	// KernelHeaders installs the image kernel's headers (CanvOS: systemd ≥ 255,
	// ubuntu, amd64 and UKI).
	KernelHeaders bool
	// OSDistribution picks the package manager of the kernel-headers step.
	OSDistribution string
	// LocalUI adds the extracted local-ui.tar under /opt/spectrocloud.
	LocalUI bool
}

// Installer returns the steps that turn the base image into the installer
// rootfs: the whole stylus framework, overlay/files, local UI, and the per-node
// identity removed. It carries no Kubernetes. The MAAS files of CanvOS'
// IS_MAAS branch are added by the kairos-raw-image function (maas.go), and
// those of its IS_CLOUD_IMAGE branch by the installer image stage and
// cloud-image (withCloudFiles in cloudimage.go), which takes any rootfs.
func Installer(o InstallerOptions) []Step {
	steps := []Step{{Name: "stylus-framework", Op: CopyDir, From: Stylus, Src: "/", Dest: "/"}}
	if o.UKI {
		steps = append(steps, Step{
			Name: "uki-trim-stylus", Op: Remove,
			Paths:  []string{"/opt/spectrocloud/bin/*", "/usr/bin/luet"},
			Except: []string{"/opt/spectrocloud/bin/agent-provider-stylus"},
		})
	}
	steps = append(steps,
		Step{Name: "overlay-files", Op: CopyDir, From: Overlay, Src: "/", Dest: "/"},
		Step{Name: "logrotate-mode", Op: Chmod, Dest: "/etc/logrotate.d/stylus.conf", Mode: 0o644},
	)
	if o.LocalUI {
		steps = append(steps, Step{Name: "local-ui", Op: CopyDir, From: LocalUI, Src: "/", Dest: "/opt/spectrocloud"})
	}
	if o.KernelHeaders {
		steps = append(steps, KernelHeaders(o.OSDistribution))
	}
	return append(steps, RemoveSSHHostKeys(), EmptyMachineID())
}
