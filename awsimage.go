package main

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"

	"dagger/canvos/awsimage"
	"dagger/canvos/config"
	"dagger/canvos/internal/dagger"
	"dagger/canvos/usererr"
)

// AwsCloudImage uploads a raw cloud image to s3://S3_BUCKET/S3_KEY, imports
// it as an EBS snapshot and registers it as a UEFI AMI, or reuses the
// account's AMI of the same name, as CanvOS +aws-cloud-image does. Returns
// the AMI id; with dryRun, the AWS calls it would make.
// +cache="never"
func (m *Canvos) AwsCloudImage(
	ctx context.Context,
	// Raw cloud disk image, e.g. the .raw of cloud-image
	raw *dagger.File,
	// Access key id, e.g. env://AWS_ACCESS_KEY_ID (with awsSecretAccessKey)
	// +optional
	awsAccessKeyId *dagger.Secret,
	// Secret access key, e.g. env://AWS_SECRET_ACCESS_KEY
	// +optional
	awsSecretAccessKey *dagger.Secret,
	// Session token of temporary credentials, e.g. env://AWS_SESSION_TOKEN
	// +optional
	awsSessionToken *dagger.Secret,
	// Shared credentials file, e.g. file://$HOME/.aws/credentials (instead of the key pair)
	// +optional
	awsCredentials *dagger.Secret,
	// AWS config file with profiles, e.g. file://$HOME/.aws/config
	// +optional
	awsConfig *dagger.Secret,
	// Profile of awsCredentials and awsConfig (AWS_PROFILE)
	// +optional
	awsProfile string,
	// REGION; the .arg value when empty
	// +optional
	region string,
	// S3_BUCKET; the .arg value when empty (named without digits: Dagger spells s3Bucket --s-3-bucket)
	// +optional
	bucket string,
	// S3_KEY; the .arg value, else the raw file's name
	// +optional
	key string,
	// AMI_NAME; the .arg value, else S3_KEY
	// +optional
	amiName string,
	// Print every AWS call instead of making it; needs no credentials
	// +optional
	dryRun bool,
) (string, error) {
	mm := *m
	mm.Overrides = slices.Clone(m.Overrides)
	for _, o := range []Override{{"REGION", region}, {"S3_BUCKET", bucket}, {"S3_KEY", key}, {"AMI_NAME", amiName}} {
		if o.Value != "" {
			mm.Overrides = append(mm.Overrides, o)
		}
	}
	secrets := awsCredentialSecrets{awsAccessKeyId, awsSecretAccessKey, awsSessionToken, awsCredentials, awsConfig}
	cfg, name, err := mm.awsTarget(ctx, raw, secrets, dryRun)
	if err != nil {
		return "", err
	}
	ctr := mm.worker(cfg.Arch).
		WithExec([]string{"sh", "-c", aptInstall, "sh", "ca-certificates"}). // TLS to AWS
		WithMountedFile("/in/"+name, raw)
	for k, v := range buildEnv(cfg) {
		ctr = ctr.WithEnvVariable(k, v)
	}
	ctr = withAWSCredentials(ctr, secrets, awsProfile)
	// The worker resolves the same configuration: the .arg file and the
	// overrides (with the arguments above), which name no secret.
	args := []string{"canvos", "aws-cloud-image", "--raw", "/in/" + name}
	_, argData, err := mm.argFile(ctx)
	if err != nil {
		return "", err
	}
	if argData != nil {
		ctr = ctr.WithNewFile("/in/canvos.arg", string(argData))
		args = append(args, "--arg-file", "/in/canvos.arg")
	}
	for _, ov := range mm.Overrides {
		args = append(args, "--set", ov.Key+"="+ov.Value)
	}
	if dryRun {
		args = append(args, "--dry-run")
	}
	// The step talks to AWS: its answer depends on AWS' state, not only on
	// its inputs, so it must run on every call (Dagger: a cache-busting input).
	out, err := ctr.WithEnvVariable("CANVOS_AWS_RUN", rand.Text()).WithExec(args).Stdout(ctx)
	return strings.TrimSpace(out), err
}

// awsTarget resolves and checks everything aws-cloud-image needs before a
// container starts: the configuration, the raw file's name (the default
// S3_KEY) and the presence of credentials.
func (m *Canvos) awsTarget(ctx context.Context, raw *dagger.File, s awsCredentialSecrets, dryRun bool) (config.Config, string, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return cfg, "", err
	}
	name, err := raw.Name(ctx)
	if err != nil {
		return cfg, "", err
	}
	o := awsimage.FromConfig(cfg)
	o.Raw = name
	if _, err := o.Validate(); err != nil {
		return cfg, "", err
	}
	keys := s.keyID != nil || s.secretKey != nil
	if keys && (s.keyID == nil || s.secretKey == nil) {
		return cfg, "", usererr.New("--aws-access-key-id/--aws-secret-access-key", "one of them", "both, or neither with --aws-credentials")
	}
	if !dryRun && !keys && s.credentials == nil && s.config == nil {
		return cfg, "", usererr.New("AWS credentials", "none", "--aws-access-key-id and --aws-secret-access-key, or --aws-credentials/--aws-config (with --aws-profile)")
	}
	return cfg, name, nil
}

// awsCredentialSecrets are the optional secrets of AwsCloudImage.
type awsCredentialSecrets struct {
	keyID, secretKey, sessionToken, credentials, config *dagger.Secret
}

// withAWSCredentials hands the secrets to the worker as the SDK's standard
// variables and files: secret variables and 0400 secret mounts, never argv.
func withAWSCredentials(ctr *dagger.Container, s awsCredentialSecrets, profile string) *dagger.Container {
	for _, v := range []struct {
		name   string
		secret *dagger.Secret
	}{{"AWS_ACCESS_KEY_ID", s.keyID}, {"AWS_SECRET_ACCESS_KEY", s.secretKey}, {"AWS_SESSION_TOKEN", s.sessionToken}} {
		if v.secret != nil {
			ctr = ctr.WithSecretVariable(v.name, v.secret)
		}
	}
	for _, f := range []struct {
		env, path string
		secret    *dagger.Secret
	}{{"AWS_SHARED_CREDENTIALS_FILE", "/run/secrets/aws/credentials", s.credentials}, {"AWS_CONFIG_FILE", "/run/secrets/aws/config", s.config}} {
		if f.secret != nil {
			ctr = ctr.WithMountedSecret(f.path, f.secret, dagger.ContainerWithMountedSecretOpts{Mode: 0o400}).WithEnvVariable(f.env, f.path)
		}
	}
	if profile != "" {
		ctr = ctr.WithEnvVariable("AWS_PROFILE", profile)
	}
	return ctr
}
