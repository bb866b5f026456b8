package awsimage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// DryRun returns clients that print each call instead of making it and
// answer as an account with neither the object nor the AMI would, so Run
// walks (and prints) the whole flow. Parts are sent one at a time, in order.
func DryRun(println func(string)) Clients {
	d := &dryRun{println: println}
	return Clients{S3: d, EC2: d, Uploads: 1}
}

type dryRun struct {
	println func(string)
	mu      sync.Mutex
	meta    map[string]string // of the object after CompleteMultipartUpload
	size    int64
	done    bool
}

func (d *dryRun) call(api, op string, args ...any) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", api, op)
	for i := 0; i+1 < len(args); i += 2 {
		fmt.Fprintf(&b, " %s=%v", args[i], args[i+1])
	}
	d.println(b.String())
}

func (d *dryRun) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	d.call("s3", "HeadObject", "Bucket", aws.ToString(in.Bucket), "Key", aws.ToString(in.Key))
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.done {
		return nil, &s3types.NotFound{}
	}
	return &s3.HeadObjectOutput{ContentLength: aws.Int64(d.size), Metadata: d.meta}, nil
}

func (d *dryRun) ListMultipartUploads(_ context.Context, in *s3.ListMultipartUploadsInput, _ ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error) {
	d.call("s3", "ListMultipartUploads", "Bucket", aws.ToString(in.Bucket), "Prefix", aws.ToString(in.Prefix))
	return &s3.ListMultipartUploadsOutput{}, nil
}

func (d *dryRun) ListParts(_ context.Context, in *s3.ListPartsInput, _ ...func(*s3.Options)) (*s3.ListPartsOutput, error) {
	d.call("s3", "ListParts", "Bucket", aws.ToString(in.Bucket), "Key", aws.ToString(in.Key), "UploadId", aws.ToString(in.UploadId))
	return &s3.ListPartsOutput{}, nil
}

func (d *dryRun) CreateMultipartUpload(_ context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	d.call("s3", "CreateMultipartUpload", "Bucket", aws.ToString(in.Bucket), "Key", aws.ToString(in.Key), "Metadata", in.Metadata)
	d.mu.Lock()
	d.meta = in.Metadata
	d.mu.Unlock()
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String("dry-run")}, nil
}

func (d *dryRun) UploadPart(_ context.Context, in *s3.UploadPartInput, _ ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	d.call("s3", "UploadPart", "Bucket", aws.ToString(in.Bucket), "Key", aws.ToString(in.Key),
		"PartNumber", aws.ToInt32(in.PartNumber), "ContentLength", aws.ToInt64(in.ContentLength), "ContentMD5", aws.ToString(in.ContentMD5))
	d.mu.Lock()
	d.size += aws.ToInt64(in.ContentLength)
	d.mu.Unlock()
	return &s3.UploadPartOutput{ETag: aws.String(fmt.Sprintf(`"dry-run-%d"`, aws.ToInt32(in.PartNumber)))}, nil
}

func (d *dryRun) CompleteMultipartUpload(_ context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	d.call("s3", "CompleteMultipartUpload", "Bucket", aws.ToString(in.Bucket), "Key", aws.ToString(in.Key), "Parts", len(in.MultipartUpload.Parts))
	d.mu.Lock()
	d.done = true
	d.mu.Unlock()
	return &s3.CompleteMultipartUploadOutput{}, nil
}

func (d *dryRun) ImportSnapshot(_ context.Context, in *ec2.ImportSnapshotInput, _ ...func(*ec2.Options)) (*ec2.ImportSnapshotOutput, error) {
	c := in.DiskContainer
	d.call("ec2", "ImportSnapshot", "Format", aws.ToString(c.Format),
		"S3Bucket", aws.ToString(c.UserBucket.S3Bucket), "S3Key", aws.ToString(c.UserBucket.S3Key), "Tags", tagList(in.TagSpecifications[0].Tags))
	return &ec2.ImportSnapshotOutput{ImportTaskId: aws.String("import-snap-dry-run")}, nil
}

func (d *dryRun) DescribeImportSnapshotTasks(_ context.Context, in *ec2.DescribeImportSnapshotTasksInput, _ ...func(*ec2.Options)) (*ec2.DescribeImportSnapshotTasksOutput, error) {
	d.call("ec2", "DescribeImportSnapshotTasks", "ImportTaskIds", in.ImportTaskIds)
	return &ec2.DescribeImportSnapshotTasksOutput{ImportSnapshotTasks: []ec2types.ImportSnapshotTask{{
		ImportTaskId:       aws.String(in.ImportTaskIds[0]),
		SnapshotTaskDetail: &ec2types.SnapshotTaskDetail{Status: aws.String("completed"), SnapshotId: aws.String("snap-dry-run")},
	}}}, nil
}

func (d *dryRun) RegisterImage(_ context.Context, in *ec2.RegisterImageInput, _ ...func(*ec2.Options)) (*ec2.RegisterImageOutput, error) {
	bdm := in.BlockDeviceMappings[0]
	d.call("ec2", "RegisterImage", "Name", fmt.Sprintf("%q", aws.ToString(in.Name)), "Architecture", in.Architecture,
		"BootMode", in.BootMode, "EnaSupport", aws.ToBool(in.EnaSupport), "VirtualizationType", aws.ToString(in.VirtualizationType),
		"RootDeviceName", aws.ToString(in.RootDeviceName), "BlockDeviceMapping", aws.ToString(bdm.DeviceName)+":"+aws.ToString(bdm.Ebs.SnapshotId),
		"Tags", tagList(in.TagSpecifications[0].Tags))
	return &ec2.RegisterImageOutput{ImageId: aws.String("ami-dry-run")}, nil
}

func (d *dryRun) DescribeImages(_ context.Context, in *ec2.DescribeImagesInput, _ ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	if len(in.ImageIds) > 0 {
		d.call("ec2", "DescribeImages", "ImageIds", in.ImageIds)
		return &ec2.DescribeImagesOutput{Images: []ec2types.Image{{ImageId: aws.String(in.ImageIds[0]), State: ec2types.ImageStateAvailable}}}, nil
	}
	filters := make([]string, len(in.Filters))
	for i, f := range in.Filters {
		filters[i] = aws.ToString(f.Name) + "=" + strings.Join(f.Values, ",")
	}
	d.call("ec2", "DescribeImages", "Owners", in.Owners, "Filters", filters)
	return &ec2.DescribeImagesOutput{}, nil
}

func (d *dryRun) CreateTags(_ context.Context, in *ec2.CreateTagsInput, _ ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error) {
	d.call("ec2", "CreateTags", "Resources", in.Resources, "Tags", tagList(in.Tags))
	return &ec2.CreateTagsOutput{}, nil
}

func tagList(tags []ec2types.Tag) string {
	s := make([]string, len(tags))
	for i, t := range tags {
		s[i] = aws.ToString(t.Key) + "=" + strconv.Quote(aws.ToString(t.Value))
	}
	return "[" + strings.Join(s, " ") + "]"
}
