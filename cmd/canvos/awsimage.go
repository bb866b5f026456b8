package main

import (
	"context"
	"fmt"
	"time"

	"dagger/canvos/awsimage"
	"dagger/canvos/config"
)

func init() {
	register(command{name: "aws-cloud-image", summary: "upload a raw cloud image to S3 and register it as an AMI (CanvOS +aws-cloud-image)", run: runAWSCloudImage})
}

// runAWSCloudImage prints the AMI id on stdout (the Dagger function returns
// it), progress on stderr; with --dry-run, stdout lists the calls instead.
// Credentials come only from the environment and the AWS files, never flags.
func runAWSCloudImage(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "aws-cloud-image")
	raw := fs.String("raw", "", "raw cloud disk image to upload (required)")
	argFile := fs.String("arg-file", "", "CanvOS .arg file: REGION, S3_BUCKET, S3_KEY, AMI_NAME, ARCH and the tagged parameters")
	var sets overrides
	fs.Var(&sets, "set", "override a parameter, KEY=VALUE (repeatable; wins over the file)")
	flagParams := []struct{ param, flag, usage string }{
		{"REGION", "region", "REGION: AWS region of the bucket and the AMI"},
		{"S3_BUCKET", "bucket", "S3_BUCKET: bucket the raw image is uploaded to"},
		{"S3_KEY", "key", "S3_KEY: object key; default the raw file's name"},
		{"AMI_NAME", "ami-name", "AMI_NAME: AMI name, reused when it exists; default S3_KEY"},
		{"ARCH", "arch", "ARCH: amd64 (x86_64 AMI) or arm64"},
	}
	values := make([]*string, len(flagParams))
	for i, p := range flagParams {
		values[i] = fs.String(p.flag, "", p.usage+" (wins over --arg-file and --set)")
	}
	poll := fs.Duration("poll", 15*time.Second, "wait between two queries of the import task and the AMI state")
	dryRun := fs.Bool("dry-run", false, "print every AWS call instead of making it; needs no credentials")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for i, p := range flagParams {
		if *values[i] != "" {
			sets = append(sets, config.Override{Key: p.param, Value: *values[i]})
		}
	}
	cfg, err := loadConfig(e, *argFile, sets)
	if err != nil {
		return err
	}
	o := awsimage.FromConfig(cfg)
	o.Raw, o.Printf, o.Poll = *raw, e.printf, *poll
	if o, err = o.Validate(); err != nil {
		return err
	}
	clients := awsimage.DryRun(func(s string) { fmt.Fprintln(e.stdout, s) })
	if !*dryRun {
		if clients, err = awsimage.Connect(ctx, o.Region); err != nil {
			return err
		}
	}
	res, err := awsimage.Run(ctx, o, clients)
	if err != nil {
		return err
	}
	if !*dryRun {
		fmt.Fprintln(e.stdout, res.ImageID)
	}
	return nil
}
