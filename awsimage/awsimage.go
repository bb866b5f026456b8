// Package awsimage turns a raw cloud disk into an AMI, as CanvOS'
// +aws-cloud-image does with the AWS CLI (cloud-images/scripts/create-raw-to-ami.sh):
// upload to s3://bucket/key, EC2 ImportSnapshot (format RAW), RegisterImage
// (UEFI, ENA, root /dev/xvda) and wait for the AMI, reusing an AMI of the same
// name. It drives the AWS SDK for Go v2 through two small interfaces, so the
// flow runs against fakes in tests and against a printer in dry-run mode.
//
// Beyond CanvOS: the upload is multipart, reports progress and resumes an
// unfinished upload of the same file; an object of the same size and sha256
// is not sent again; an AMI of the same name is looked up before anything is
// uploaded; the snapshot and the AMI carry the build's parameters and sha256
// as tags; the architecture follows ARCH (CanvOS always registers x86_64).
package awsimage

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"dagger/canvos/config"
	"dagger/canvos/usererr"
)

// S3API is the part of *s3.Client the upload uses.
type S3API interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	ListMultipartUploads(context.Context, *s3.ListMultipartUploadsInput, ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error)
	ListParts(context.Context, *s3.ListPartsInput, ...func(*s3.Options)) (*s3.ListPartsOutput, error)
	CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
}

// EC2API is the part of *ec2.Client the import and registration use.
type EC2API interface {
	ImportSnapshot(context.Context, *ec2.ImportSnapshotInput, ...func(*ec2.Options)) (*ec2.ImportSnapshotOutput, error)
	DescribeImportSnapshotTasks(context.Context, *ec2.DescribeImportSnapshotTasksInput, ...func(*ec2.Options)) (*ec2.DescribeImportSnapshotTasksOutput, error)
	RegisterImage(context.Context, *ec2.RegisterImageInput, ...func(*ec2.Options)) (*ec2.RegisterImageOutput, error)
	DescribeImages(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
	CreateTags(context.Context, *ec2.CreateTagsInput, ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
}

// Clients are the AWS services the flow talks to.
type Clients struct {
	S3  S3API
	EC2 EC2API
	// Uploads is how many parts are sent at once; 0 means 4.
	Uploads int
}

// Options say what to upload and register.
type Options struct {
	Raw    string      // the raw disk image
	Region string      // REGION: the clients must be bound to it (Connect)
	Bucket string      // S3_BUCKET
	Key    string      // S3_KEY; default the raw file's name
	Name   string      // AMI_NAME; default Key
	Arch   config.Arch // ARCH: amd64 registers x86_64, arm64 arm64
	// Tags go on the snapshot and the AMI, with canvos:sha256, canvos:source and Name.
	Tags map[string]string
	// PartSize of the multipart upload; 0 derives it from the file size.
	PartSize int64
	// Poll is the wait between two status queries; 0 means 15 s.
	Poll   time.Duration
	Printf func(string, ...any) // progress; nil prints nothing
}

// Result is what Run did.
type Result struct {
	ImageID    string
	SnapshotID string // empty when an existing AMI was reused
	Reused     bool   // an AMI of the same name existed
	Uploaded   bool   // bytes were sent (false: the object was already there)
}

// tagParams are the parameters that identify a build; each set one becomes
// a tag canvos:<NAME> (EC2 allows 50 tags per resource, not all parameters).
var tagParams = []string{"ARCH", "OS_DISTRIBUTION", "OS_VERSION", "K8S_DISTRIBUTION", "K8S_VERSION",
	"PE_VERSION", "CUSTOM_TAG", "IS_UKI", "FIPS_ENABLED", "IMAGE_REGISTRY", "IMAGE_REPO"}

// FromConfig fills the options CanvOS takes from .arg: REGION, S3_BUCKET,
// S3_KEY, AMI_NAME, ARCH, and the build's parameters as tags.
func FromConfig(c config.Config) Options {
	tags := map[string]string{}
	for _, n := range tagParams {
		if v, _ := c.Value(n); v != "" {
			tags["canvos:"+n] = v
		}
	}
	return Options{Region: c.Region, Bucket: c.S3Bucket, Key: c.S3Key, Name: c.AMIName, Arch: c.Arch, Tags: tags}
}

// Validate applies the defaults (S3_KEY: the raw file's name, AMI_NAME:
// S3_KEY) and checks every value, naming the parameter that is wrong.
func (o Options) Validate() (Options, error) {
	if o.Raw == "" {
		return o, usererr.New("--raw", "", "the raw disk image to upload")
	}
	if o.Key == "" {
		o.Key = filepath.Base(o.Raw)
	}
	if o.Name == "" {
		o.Name = o.Key
	}
	if o.Arch == "" {
		o.Arch = config.AMD64
	}
	var errs []error
	for _, p := range []struct{ name, value, needed string }{
		{"REGION", o.Region, "an AWS region such as us-east-1"},
		{"S3_BUCKET", o.Bucket, "the S3 bucket the raw image is uploaded to"},
	} {
		if p.value == "" {
			errs = append(errs, usererr.New(p.name, "", p.needed+" (required by aws-cloud-image)"))
		}
	}
	for _, p := range [][2]string{{"REGION", o.Region}, {"S3_BUCKET", o.Bucket}, {"S3_KEY", o.Key}, {"AMI_NAME", o.Name}, {"ARCH", string(o.Arch)}} {
		if p[1] != "" {
			errs = append(errs, config.CheckValue(p[0], p[1]))
		}
	}
	return o, errors.Join(errs...)
}

// architecture is EC2's name for ARCH.
func (o Options) architecture() ec2types.ArchitectureValues {
	if o.Arch == config.ARM64 {
		return ec2types.ArchitectureValuesArm64
	}
	return ec2types.ArchitectureValuesX8664
}

func (o Options) printf(format string, args ...any) {
	if o.Printf != nil {
		o.Printf(format, args...)
	}
}

func (o Options) source() string { return "s3://" + o.Bucket + "/" + o.Key }

// tags are the tags of the snapshot and the AMI, sorted by key.
func (o Options) tags(sum string) []ec2types.Tag {
	all := map[string]string{"Name": o.Name, tagSHA256: sum, "canvos:source": o.source()}
	for k, v := range o.Tags {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]ec2types.Tag, len(keys))
	for i, k := range keys {
		out[i] = ec2types.Tag{Key: aws.String(k), Value: aws.String(all[k])}
	}
	return out
}

// tagSHA256 is the tag (and S3 metadata key, without prefix) holding the raw file's sha256.
const tagSHA256 = "canvos:sha256"

// Run uploads the raw image, imports it as a snapshot and registers the AMI;
// an available or pending AMI of the same name (owned by this account) is
// returned instead, before anything is uploaded. o must be validated.
func Run(ctx context.Context, o Options, c Clients) (Result, error) {
	if o.Poll == 0 {
		o.Poll = 15 * time.Second
	}
	d, err := digest(o.Raw, o.PartSize, o.printf)
	if err != nil {
		return Result{}, err
	}
	e := &ec2Flow{api: c.EC2, o: o}
	if img, ok, err := e.existing(ctx, d.sha256); err != nil || ok {
		return Result{ImageID: img, Reused: ok}, err
	}
	u := &upload{api: c.S3, o: o, d: d, parallel: c.Uploads}
	sent, err := u.run(ctx)
	if err != nil {
		return Result{}, err
	}
	snap, err := e.importSnapshot(ctx, d.sha256)
	if err != nil {
		return Result{Uploaded: sent}, err
	}
	img, reused, err := e.register(ctx, snap, d.sha256)
	if err != nil {
		return Result{SnapshotID: snap, Uploaded: sent}, err
	}
	return Result{ImageID: img, SnapshotID: snap, Reused: reused, Uploaded: sent}, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
