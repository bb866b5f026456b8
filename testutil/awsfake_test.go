package testutil

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

// The SDK's deserializers skip elements they do not know, so every element
// the fake writes is read back here through the real EC2 client: a misspelt
// one arrives as nil and fails. (The names themselves come from the EC2 API
// Reference pages of each action and of Image, SnapshotTaskDetail, Tag.)
func TestEC2FakeAnswersParseWithTheSDK(t *testing.T) {
	t.Parallel()
	f := NewAWS(t, "b")
	f.EC2.PollsToComplete, f.EC2.PollsToAvailable = 1, 1
	c := ec2.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")},
		func(o *ec2.Options) { o.BaseEndpoint = aws.String(f.EC2URL) })
	ctx := context.Background()
	_, err := c.ImportSnapshot(ctx, &ec2.ImportSnapshotInput{DiskContainer: &types.SnapshotDiskContainer{Format: aws.String("RAW"),
		UserBucket: &types.UserBucket{S3Bucket: aws.String("b"), S3Key: aws.String("missing.raw")}},
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeImportSnapshotTask}}})
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	require.Equal(t, "InvalidParameter", apiErr.ErrorCode(), "an absent object is refused like AWS does")

	_, err = f.S3Backend.PutObject("b", "disk.raw", map[string]string{}, strings.NewReader(strings.Repeat("x", 1<<20)), 1<<20, nil)
	require.NoError(t, err)
	imp, err := c.ImportSnapshot(ctx, &ec2.ImportSnapshotInput{Description: aws.String("d"), DiskContainer: &types.SnapshotDiskContainer{Format: aws.String("RAW"),
		UserBucket: &types.UserBucket{S3Bucket: aws.String("b"), S3Key: aws.String("disk.raw")}},
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeImportSnapshotTask}}})
	require.NoError(t, err)
	require.Regexp(t, `^import-snap-[0-9a-f]{17}$`, aws.ToString(imp.ImportTaskId))
	d := imp.SnapshotTaskDetail
	require.Equal(t, "d", aws.ToString(imp.Description))
	require.Equal(t, []string{"active", "pending", "RAW", "0", "b", "disk.raw"}, []string{aws.ToString(d.Status), aws.ToString(d.StatusMessage),
		aws.ToString(d.Format), aws.ToString(d.Progress), aws.ToString(d.UserBucket.S3Bucket), aws.ToString(d.UserBucket.S3Key)})
	require.InDelta(t, 1.0/1024, aws.ToFloat64(d.DiskImageSize), 1e-9, "GiB")

	var snap string
	for _, want := range []string{"active", "completed"} {
		tasks, err := c.DescribeImportSnapshotTasks(ctx, &ec2.DescribeImportSnapshotTasksInput{ImportTaskIds: []string{aws.ToString(imp.ImportTaskId)}})
		require.NoError(t, err)
		require.Len(t, tasks.ImportSnapshotTasks, 1)
		require.Equal(t, aws.ToString(imp.ImportTaskId), aws.ToString(tasks.ImportSnapshotTasks[0].ImportTaskId))
		require.Equal(t, want, aws.ToString(tasks.ImportSnapshotTasks[0].SnapshotTaskDetail.Status))
		snap = aws.ToString(tasks.ImportSnapshotTasks[0].SnapshotTaskDetail.SnapshotId)
	}
	require.Regexp(t, `^snap-[0-9a-f]{17}$`, snap)

	tagged, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{snap}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	require.NoError(t, err)
	require.NotNil(t, tagged)
	require.Equal(t, map[string]string{"k": "v"}, f.EC2.Snapshots[snap])

	reg, err := c.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("n"), Architecture: types.ArchitectureValuesArm64,
		RootDeviceName: aws.String("/dev/xvda"), BootMode: types.BootModeValuesUefi, EnaSupport: aws.Bool(true), VirtualizationType: aws.String("hvm"),
		BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &types.EbsBlockDevice{SnapshotId: &snap}}},
		TagSpecifications:   []types.TagSpecification{{ResourceType: types.ResourceTypeImage, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("n")}}}}})
	require.NoError(t, err)
	imgs, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{aws.ToString(reg.ImageId)}})
	require.NoError(t, err)
	require.Len(t, imgs.Images, 1)
	img := imgs.Images[0]
	require.Equal(t, types.ImageStateAvailable, img.State)
	require.Equal(t, []string{aws.ToString(reg.ImageId), "n", FakeAccount, "/dev/xvda", "hvm"},
		[]string{aws.ToString(img.ImageId), aws.ToString(img.Name), aws.ToString(img.OwnerId), aws.ToString(img.RootDeviceName), string(img.VirtualizationType)})
	require.Equal(t, types.ArchitectureValuesArm64, img.Architecture)
	require.Equal(t, types.BootModeValuesUefi, img.BootMode)
	require.True(t, aws.ToBool(img.EnaSupport))
	require.Equal(t, types.DeviceTypeEbs, img.RootDeviceType)
	require.NotEmpty(t, aws.ToString(img.CreationDate))
	require.Equal(t, []types.Tag{{Key: aws.String("Name"), Value: aws.String("n")}}, img.Tags)

	_, err = c.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("n"), Architecture: types.ArchitectureValuesArm64, RootDeviceName: aws.String("/dev/xvda"),
		BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &types.EbsBlockDevice{SnapshotId: &snap}}}})
	require.True(t, errors.As(err, &apiErr), "%v", err)
	require.Equal(t, "InvalidAMIName.Duplicate", apiErr.ErrorCode())
	require.Contains(t, apiErr.ErrorMessage(), aws.ToString(reg.ImageId))

	failed := f.EC2.AddImage("broken", FakeAccount, "failed", nil)
	imgs, err = c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{failed}})
	require.NoError(t, err)
	require.Equal(t, types.ImageStateFailed, imgs.Images[0].State)
	require.Equal(t, "snapshot not found", aws.ToString(imgs.Images[0].StateReason.Message))
	require.Equal(t, "Client.InvalidSnapshot.NotFound", aws.ToString(imgs.Images[0].StateReason.Code))
}
