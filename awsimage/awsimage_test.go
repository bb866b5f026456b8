package awsimage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"dagger/canvos/config"
	"dagger/canvos/testutil"
	"dagger/canvos/usererr"
)

const bucket = "edge-images"

// rawFile writes a file of n pseudo-random bytes and returns its path and sha256.
func rawFile(t *testing.T, n int, seed byte) (string, string) {
	t.Helper()
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	path := filepath.Join(t.TempDir(), "kairos-cloud.raw")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	sum := sha256.Sum256(b)
	return path, hex.EncodeToString(sum[:])
}

// clients talks to the fakes with static credentials, as Connect would.
func clients(f *testutil.AWSFake) Clients {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}
	return Clients{
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint, o.UsePathStyle = aws.String(f.S3URL), true
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		}),
		EC2: ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(f.EC2URL) }),
	}
}

func options(t *testing.T, raw string, sets ...config.Override) (Options, *[]string) {
	t.Helper()
	var log []string
	sets = append([]config.Override{{Key: "REGION", Value: "us-east-1"}, {Key: "S3_BUCKET", Value: bucket}, {Key: "K8S_VERSION", Value: "1.32.3"}}, sets...)
	cfg, _, err := config.Load("", nil, sets)
	require.NoError(t, err)
	o := FromConfig(cfg)
	o.Raw, o.PartSize, o.Poll = raw, minPartSize, time.Millisecond
	o.Printf = func(f string, a ...any) { log = append(log, fmt.Sprintf(f, a...)) }
	o, err = o.Validate()
	require.NoError(t, err)
	return o, &log
}

func TestRunImportsAndRegisters(t *testing.T) {
	t.Parallel()
	for _, arch := range []config.Arch{config.AMD64, config.ARM64} {
		t.Run(string(arch), func(t *testing.T) {
			t.Parallel()
			f := testutil.NewAWS(t, bucket)
			raw, sum := rawFile(t, 2*minPartSize+12345, 1)
			o, log := options(t, raw, config.Override{Key: "ARCH", Value: string(arch)})
			res, err := Run(context.Background(), o, clients(f))
			require.NoError(t, err, strings.Join(*log, "\n"))
			require.True(t, res.Uploaded)
			require.False(t, res.Reused)

			data, meta := f.Object(t, bucket, "kairos-cloud.raw")
			want, err := os.ReadFile(raw)
			require.NoError(t, err)
			require.Equal(t, want, data, "the object is the raw file")
			require.Equal(t, sum, meta["X-Amz-Meta-Sha256"], "sha256 metadata")

			require.Equal(t, []string{"DescribeImages", "ImportSnapshot",
				"DescribeImportSnapshotTasks", "DescribeImportSnapshotTasks", "DescribeImportSnapshotTasks",
				"CreateTags", "RegisterImage", "DescribeImages", "DescribeImages"}, f.EC2.Actions(),
				"import polled through active to completed, AMI through pending to available")
			params, tags := f.EC2.Image(res.ImageID)
			wantArch := map[config.Arch]string{config.AMD64: "x86_64", config.ARM64: "arm64"}[arch]
			for k, v := range map[string]string{"Name": "kairos-cloud.raw", "Architecture": wantArch, "BootMode": "uefi", "EnaSupport": "true",
				"RootDeviceName": "/dev/xvda", "VirtualizationType": "hvm", "BlockDeviceMapping.1.DeviceName": "/dev/xvda",
				"BlockDeviceMapping.1.Ebs.SnapshotId": res.SnapshotID} {
				require.Equal(t, v, params.Get(k), k)
			}
			for _, tags := range []map[string]string{tags, f.EC2.Snapshots[res.SnapshotID]} {
				require.Equal(t, sum, tags["canvos:sha256"])
				require.Equal(t, string(arch), tags["canvos:ARCH"])
				require.Equal(t, "1.32.3", tags["canvos:K8S_VERSION"])
				require.Equal(t, "s3://edge-images/kairos-cloud.raw", tags["canvos:source"])
				require.Equal(t, "kairos-cloud.raw", tags["Name"])
			}
			imp := f.EC2.Calls()[1].Params
			require.Equal(t, "RAW", imp.Get("DiskContainer.Format"))
			require.Equal(t, bucket, imp.Get("DiskContainer.UserBucket.S3Bucket"))
			require.Equal(t, "kairos-cloud.raw", imp.Get("DiskContainer.UserBucket.S3Key"))
			require.Contains(t, *log, "ec2: AMI "+res.ImageID+" is available")
		})
	}
}

// A failing import task or AMI stops the flow with AWS' own words.
func TestRunFailuresReportAWSMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		fail      func(*testutil.EC2Fake)
		want      string
		registers bool // got as far as RegisterImage
	}{
		{"import", func(f *testutil.EC2Fake) {
			f.ImportFailure = "ClientError: Disk validation failed [Unsupported specified file format]"
		}, "of s3://edge-images/kairos-cloud.raw deleted: ClientError: Disk validation failed [Unsupported specified file format]", false},
		{"ami", func(f *testutil.EC2Fake) {
			f.ImageFailure = "Client.InvalidSnapshot.NotFound: snapshot is not bootable"
		}, "is failed: Client.InvalidSnapshot.NotFound: snapshot is not bootable", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := testutil.NewAWS(t, bucket)
			tc.fail(f.EC2)
			raw, _ := rawFile(t, 1000, 2)
			o, _ := options(t, raw)
			_, err := Run(context.Background(), o, clients(f))
			require.ErrorContains(t, err, tc.want)
			require.Equal(t, tc.registers, slices.Contains(f.EC2.Actions(), "RegisterImage"))
		})
	}
}

func TestRunReusesAMIOfTheSameName(t *testing.T) {
	t.Parallel()
	f := testutil.NewAWS(t, bucket)
	raw, _ := rawFile(t, 1000, 3)
	o, log := options(t, raw)
	// Another account's public AMI of that name is not ours to reuse.
	f.EC2.AddImage(o.Name, "999999999999", "available", nil)
	id := f.EC2.AddImage(o.Name, testutil.FakeAccount, "pending", map[string]string{"canvos:sha256": "0ld"})
	res, err := Run(context.Background(), o, clients(f))
	require.NoError(t, err)
	require.Equal(t, Result{ImageID: id, Reused: true}, res)
	require.Empty(t, f.S3Requests(), "nothing uploaded")
	require.Equal(t, []string{"DescribeImages", "DescribeImages", "DescribeImages"}, f.EC2.Actions(), "waited for the pending AMI")
	owner := f.EC2.Calls()[0].Params
	require.Equal(t, "self", owner.Get("Owner.1"))
	require.Equal(t, "name", owner.Get("Filter.1.Name"))
	require.Equal(t, o.Name, owner.Get("Filter.1.Value.1"))
	require.True(t, slices.ContainsFunc(*log, func(l string) bool { return strings.Contains(l, "built from another raw image (sha256 0ld") }))
}

// A run that registers the same name between our check and RegisterImage
// makes RegisterImage fail with InvalidAMIName.Duplicate: its AMI is used.
func TestRunReusesAMIRegisteredMeanwhile(t *testing.T) {
	t.Parallel()
	f := testutil.NewAWS(t, bucket)
	f.EC2.RegisterRace = true
	raw, _ := rawFile(t, 1000, 4)
	o, _ := options(t, raw)
	res, err := Run(context.Background(), o, clients(f))
	require.NoError(t, err)
	require.True(t, res.Reused)
	require.NotEmpty(t, res.SnapshotID)
	require.Equal(t, "RegisterImage", f.EC2.Actions()[6])
}

func TestUploadSkipsTheSameObject(t *testing.T) {
	t.Parallel()
	f := testutil.NewAWS(t, bucket)
	raw, sum := rawFile(t, minPartSize+1, 5)
	o, log := options(t, raw)
	u := &upload{api: clients(f).S3, o: o}
	var err error
	u.d, err = digest(raw, o.PartSize, o.printf)
	require.NoError(t, err)
	sent, err := u.run(context.Background())
	require.NoError(t, err)
	require.True(t, sent)
	before := len(f.S3Requests())
	sent, err = u.run(context.Background())
	require.NoError(t, err)
	require.False(t, sent)
	require.Equal(t, []string{"HEAD /edge-images/kairos-cloud.raw"}, f.S3Requests()[before:])
	require.Contains(t, *log, "s3: s3://edge-images/kairos-cloud.raw already holds this file (sha256 "+sum+"): not uploading it again")
}

// An interrupted upload is resumed: the parts already there are checked
// (size and MD5) and only the others are sent. An unfinished upload of
// other data under the same key is left alone.
func TestUploadResumes(t *testing.T) {
	t.Parallel()
	f := testutil.NewAWS(t, bucket)
	raw, sum := rawFile(t, 3*minPartSize+7, 6)
	o, log := options(t, raw)
	c := clients(f)
	ctx := context.Background()
	d, err := digest(raw, o.PartSize, nil)
	require.NoError(t, err)

	id := startUpload(t, c.S3, raw, 2)  // the interrupted run: parts 1 and 2
	time.Sleep(1100 * time.Millisecond) // S3 lists Initiated to the second; newest is tried first
	other, _ := rawFile(t, minPartSize, 7)
	otherID := startUpload(t, c.S3, other, 1) // newer, other data

	before := len(f.S3Requests())
	u := &upload{api: c.S3, o: o, d: d}
	sent, err := u.run(ctx)
	require.NoError(t, err, strings.Join(*log, "\n"))
	require.True(t, sent)
	var puts []string
	for _, r := range f.S3Requests()[before:] {
		if strings.HasPrefix(r, "PUT ") {
			puts = append(puts, r)
		}
	}
	require.Len(t, puts, 2, "parts 3 and 4 only: %v", puts)
	require.Contains(t, *log, "s3: unfinished upload "+otherID+" of s3://edge-images/kairos-cloud.raw holds other data: not resuming it")
	require.Contains(t, *log, "s3: resuming upload "+id+" of s3://edge-images/kairos-cloud.raw: 2 of 4 parts already there")
	data, meta := f.Object(t, bucket, "kairos-cloud.raw")
	want, _ := os.ReadFile(raw)
	require.Equal(t, want, data)
	require.Equal(t, sum, meta["X-Amz-Meta-Sha256"])
}

// startUpload begins a multipart upload of path's first parts, as an
// interrupted run leaves it, and returns its id.
func startUpload(t *testing.T, api S3API, path string, parts int) string {
	t.Helper()
	d, err := digest(path, minPartSize, nil)
	require.NoError(t, err)
	ctx := context.Background()
	out, err := api.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("kairos-cloud.raw"),
		Metadata: map[string]string{metaSHA256: d.sha256}})
	require.NoError(t, err)
	u := &upload{api: api, o: Options{Bucket: bucket, Key: "kairos-cloud.raw"}, d: d}
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	for n := 1; n <= parts; n++ {
		_, err := u.sendPart(ctx, f, aws.ToString(out.UploadId), n)
		require.NoError(t, err)
	}
	return aws.ToString(out.UploadId)
}

func TestDryRunPrintsEveryCall(t *testing.T) {
	t.Parallel()
	raw, sum := rawFile(t, 2*minPartSize+1, 8)
	o, _ := options(t, raw)
	var calls []string
	res, err := Run(context.Background(), o, DryRun(func(s string) { calls = append(calls, s) }))
	require.NoError(t, err)
	require.Equal(t, "ami-dry-run", res.ImageID)
	var ops []string
	for _, c := range calls {
		f := strings.Fields(c)
		ops = append(ops, f[0]+" "+f[1])
	}
	require.Equal(t, []string{"ec2 DescribeImages", "s3 HeadObject", "s3 ListMultipartUploads", "s3 CreateMultipartUpload",
		"s3 UploadPart", "s3 UploadPart", "s3 UploadPart", "s3 CompleteMultipartUpload", "s3 HeadObject",
		"ec2 ImportSnapshot", "ec2 DescribeImportSnapshotTasks", "ec2 CreateTags", "ec2 RegisterImage", "ec2 DescribeImages"}, ops)
	require.Contains(t, calls[3], "sha256:"+sum)
	require.Contains(t, calls[12], "Architecture=x86_64 BootMode=uefi EnaSupport=true VirtualizationType=hvm RootDeviceName=/dev/xvda BlockDeviceMapping=/dev/xvda:snap-dry-run")
	require.Contains(t, calls[12], `canvos:sha256="`+sum+`"`)
}

// Connect reads the environment, so these tests do not run in parallel.
func TestConnectRefusesMissingCredentials(t *testing.T) {
	dir := t.TempDir()
	clearAWSEnv(t, dir)
	_, err := Connect(context.Background(), "us-east-1")
	require.ErrorIs(t, err, usererr.ErrInvalid)
	require.ErrorContains(t, err, "AWS credentials: none found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDONLY")
	_, err = Connect(context.Background(), "us-east-1")
	require.ErrorContains(t, err, "AWS credentials: none found", "a key id without its secret")
	require.NotContains(t, err.Error(), "AKIDONLY")
}

func TestConnectProfileFiles(t *testing.T) {
	dir := t.TempDir()
	clearAWSEnv(t, dir)
	creds := filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(creds, []byte("[edge]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s3cr3tvalue\n"), 0o644))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_PROFILE", "edge")
	_, err := Connect(context.Background(), "us-east-1")
	require.ErrorIs(t, err, usererr.ErrInvalid)
	require.ErrorContains(t, err, `mode 0644"; allowed: readable by its owner only (chmod 600)`)
	require.NotContains(t, err.Error(), "s3cr3tvalue")

	require.NoError(t, os.Chmod(creds, 0o600))
	c, err := Connect(context.Background(), "us-east-1")
	require.NoError(t, err)
	require.NotNil(t, c.S3)
}

func clearAWSEnv(t *testing.T, dir string) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none-credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none-config"))
}

func TestValidate(t *testing.T) {
	t.Parallel()
	_, err := Options{Raw: "x.raw"}.Validate()
	require.ErrorIs(t, err, usererr.ErrInvalid)
	require.ErrorContains(t, err, `REGION: invalid value ""; allowed: an AWS region such as us-east-1 (required by aws-cloud-image)`)
	require.ErrorContains(t, err, `S3_BUCKET: invalid value ""`)

	o, err := Options{Raw: "build/edge+1.raw", Region: "eu-west-1", Bucket: "b-1"}.Validate()
	require.ErrorContains(t, err, `AMI_NAME: invalid value "edge+1.raw"; allowed: an AMI name`, "the default name must be a valid AMI name too")
	require.Equal(t, "edge+1.raw", o.Key)

	o, err = Options{Raw: "build/edge.raw", Region: "eu-west-1", Bucket: "b-1", Name: "edge ami"}.Validate()
	require.NoError(t, err)
	require.Equal(t, config.AMD64, o.Arch)
	_, err = Options{Raw: "edge.raw", Region: "eu-west-1", Bucket: "b-1", Arch: "x86_64"}.Validate()
	require.ErrorContains(t, err, `ARCH: invalid value "x86_64"; allowed: amd64, arm64`)
}

func TestPartSizeFor(t *testing.T) {
	t.Parallel()
	require.Equal(t, int64(defaultPartSize), partSizeFor(4<<30, 0))
	require.Equal(t, int64(minPartSize), partSizeFor(1<<20, 1))
	big := int64(1 << 40) // 1 TiB: 64 MiB parts would be 16384
	ps := partSizeFor(big, 0)
	require.LessOrEqual(t, (big+ps-1)/ps, int64(maxParts))
	require.Zero(t, ps%(1<<20))
}
