package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// awsEnv points the AWS SDK at the fakes the way a user points it at an
// S3-compatible store (AWS_ENDPOINT_URL_*), with no credentials set.
func awsEnv(t *testing.T) (*testutil.AWSFake, string) {
	f := testutil.NewAWS(t, "edge-images")
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": f.S3URL, "AWS_ENDPOINT_URL_EC2": f.EC2URL,
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	raw := filepath.Join(dir, "edge.raw")
	require.NoError(t, os.WriteFile(raw, bytes.Repeat([]byte("kairos"), 100000), 0o644))
	arg := filepath.Join(dir, ".arg")
	require.NoError(t, os.WriteFile(arg, []byte("REGION=eu-central-1\nS3_BUCKET=edge-images\nS3_KEY=canvos/edge.raw\nAMI_NAME=\"palette edge\"\n"), 0o644))
	return f, dir
}

// awsCLI runs the verb and returns its exit code, stdout and stderr.
func awsCLI(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), append([]string{"aws-cloud-image"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestAWSCloudImageFromArgFile(t *testing.T) {
	f, dir := awsEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCLITEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "cli-secret-value")
	code, stdout, stderr := awsCLI("--raw", filepath.Join(dir, "edge.raw"), "--arg-file", filepath.Join(dir, ".arg"), "--poll", "1ms")
	require.Equal(t, 0, code, stderr)
	id := strings.TrimSpace(stdout)
	require.Regexp(t, `^ami-[0-9a-f]{17}$`, id, "stdout is the AMI id alone")
	params, tags := f.EC2.Image(id)
	require.Equal(t, "palette edge", params.Get("Name"))
	require.Equal(t, "s3://edge-images/canvos/edge.raw", tags["canvos:source"])
	data, _ := f.Object(t, "edge-images", "canvos/edge.raw")
	require.Len(t, data, 600000)
	require.NotContains(t, stdout+stderr, "cli-secret-value")
	for _, c := range f.EC2.Calls() {
		require.NotContains(t, c.Params.Encode(), "cli-secret-value", "the secret key only signs requests")
	}
}

func TestAWSCloudImageRefusesMissingCredentials(t *testing.T) {
	f, dir := awsEnv(t)
	code, stdout, stderr := awsCLI("--raw", filepath.Join(dir, "edge.raw"), "--region", "us-east-1", "--bucket", "edge-images")
	require.Equal(t, exitInput, code)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "AWS credentials: none found")
	require.Empty(t, f.S3Requests(), "refused before any upload")
	require.Empty(t, f.EC2.Calls())
}

func TestAWSCloudImageDryRunMakesNoCalls(t *testing.T) {
	f, dir := awsEnv(t)
	code, stdout, stderr := awsCLI("--raw", filepath.Join(dir, "edge.raw"), "--arg-file", filepath.Join(dir, ".arg"), "--arch", "arm64", "--dry-run")
	require.Equal(t, 0, code, stderr)
	require.Empty(t, f.S3Requests())
	require.Empty(t, f.EC2.Calls())
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 12, stdout)
	require.True(t, strings.HasPrefix(lines[0], "ec2 DescribeImages Owners=[self] Filters=[name=palette edge state=available,pending]"), lines[0])
	require.Contains(t, stdout, "s3 CreateMultipartUpload Bucket=edge-images Key=canvos/edge.raw")
	require.Contains(t, stdout, "ec2 ImportSnapshot Format=RAW S3Bucket=edge-images S3Key=canvos/edge.raw")
	require.Contains(t, stdout, "ec2 RegisterImage Name=\"palette edge\" Architecture=arm64 BootMode=uefi EnaSupport=true")
}

func TestAWSCloudImageBadInput(t *testing.T) {
	_, dir := awsEnv(t)
	raw := filepath.Join(dir, "edge.raw")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--raw", raw}, `REGION: invalid value ""; allowed: an AWS region such as us-east-1 (required by aws-cloud-image)`},
		{[]string{"--raw", raw, "--region", "Frankfurt", "--bucket", "edge-images"}, `REGION: invalid value "Frankfurt"`},
		{[]string{"--raw", raw, "--region", "eu-central-1", "--bucket", "Edge_Images"}, `S3_BUCKET: invalid value "Edge_Images"`},
		{[]string{"--region", "eu-central-1", "--bucket", "edge-images"}, `--raw: invalid value ""`},
		{[]string{"--raw", filepath.Join(dir, "none.raw"), "--region", "eu-central-1", "--bucket", "edge-images", "--dry-run"}, "no such file"},
	} {
		code, _, stderr := awsCLI(tt.args...)
		require.Equal(t, exitInput, code, stderr)
		require.Contains(t, stderr, tt.want)
	}
}
