package awsimage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// rootDevice is where CanvOS maps the snapshot (register-image --root-device-name).
const rootDevice = "/dev/xvda"

// ec2Flow imports the uploaded object and registers the AMI.
type ec2Flow struct {
	api EC2API
	o   Options
}

// existing looks for an AMI of this name owned by the account, available or
// pending (as CanvOS does, but only in the account: a public AMI of the same
// name is somebody else's), and waits for it to be available.
func (e *ec2Flow) existing(ctx context.Context, sum string) (string, bool, error) {
	out, err := e.api.DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners: []string{"self"},
		Filters: []ec2types.Filter{
			{Name: aws.String("name"), Values: []string{e.o.Name}},
			{Name: aws.String("state"), Values: []string{"available", "pending"}},
		},
	})
	if err != nil {
		return "", false, fmt.Errorf("ec2 DescribeImages name=%s: %w", e.o.Name, err)
	}
	if len(out.Images) == 0 {
		return "", false, nil
	}
	img := slices.MaxFunc(out.Images, func(a, b ec2types.Image) int {
		return strings.Compare(aws.ToString(a.CreationDate), aws.ToString(b.CreationDate))
	})
	id := aws.ToString(img.ImageId)
	e.o.printf("ec2: AMI %q exists (%s): reusing it instead of importing %s", e.o.Name, id, e.o.Raw)
	if got := tagValue(img.Tags, tagSHA256); got != "" && got != sum {
		e.o.printf("warning: AMI %s was built from another raw image (sha256 %s, this one %s); set AMI_NAME to register a new one", id, got, sum)
	}
	return id, true, e.waitImage(ctx, id)
}

// importSnapshot starts ec2 ImportSnapshot from the object, waits for the
// task to complete and tags the snapshot.
func (e *ec2Flow) importSnapshot(ctx context.Context, sum string) (string, error) {
	tags := e.o.tags(sum)
	out, err := e.api.ImportSnapshot(ctx, &ec2.ImportSnapshotInput{
		Description: aws.String("canvos aws-cloud-image " + e.o.source()),
		DiskContainer: &ec2types.SnapshotDiskContainer{
			Description: aws.String(e.o.Name),
			Format:      aws.String("RAW"),
			UserBucket:  &ec2types.UserBucket{S3Bucket: &e.o.Bucket, S3Key: &e.o.Key},
		},
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeImportSnapshotTask, Tags: tags}},
	})
	if err != nil {
		return "", fmt.Errorf("ec2 ImportSnapshot %s: %w", e.o.source(), err)
	}
	task := aws.ToString(out.ImportTaskId)
	e.o.printf("ec2: importing %s as a snapshot (task %s)", e.o.source(), task)
	snap, err := e.waitImport(ctx, task)
	if err != nil {
		return "", err
	}
	if _, err := e.api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{snap}, Tags: tags}); err != nil {
		return "", fmt.Errorf("ec2 CreateTags %s: %w", snap, err)
	}
	return snap, nil
}

// waitImport polls the import task until it completes; any state but active
// and completed is a failure, reported with AWS' status message.
func (e *ec2Flow) waitImport(ctx context.Context, task string) (string, error) {
	last := ""
	for {
		out, err := e.api.DescribeImportSnapshotTasks(ctx, &ec2.DescribeImportSnapshotTasksInput{ImportTaskIds: []string{task}})
		if err != nil {
			return "", fmt.Errorf("ec2 DescribeImportSnapshotTasks %s: %w", task, err)
		}
		if len(out.ImportSnapshotTasks) == 1 && out.ImportSnapshotTasks[0].SnapshotTaskDetail != nil {
			d := out.ImportSnapshotTasks[0].SnapshotTaskDetail
			status, msg := aws.ToString(d.Status), aws.ToString(d.StatusMessage)
			switch status {
			case "completed":
				if aws.ToString(d.SnapshotId) == "" {
					return "", fmt.Errorf("ec2 import task %s completed without a snapshot id", task)
				}
				e.o.printf("ec2: import task %s completed: snapshot %s", task, aws.ToString(d.SnapshotId))
				return aws.ToString(d.SnapshotId), nil
			case "active":
				if now := status + " " + aws.ToString(d.Progress) + "% " + msg; now != last {
					e.o.printf("ec2: import task %s: %s", task, now)
					last = now
				}
			default:
				return "", fmt.Errorf("ec2 import task %s of %s %s: %s", task, e.o.source(), status, msg)
			}
		}
		if err := sleep(ctx, e.o.Poll); err != nil {
			return "", fmt.Errorf("waiting for import task %s: %w", task, err)
		}
	}
}

// register registers the AMI from the snapshot, or returns the AMI another
// run registered under the same name meanwhile, and waits until it is available.
func (e *ec2Flow) register(ctx context.Context, snap, sum string) (string, bool, error) {
	out, err := e.api.RegisterImage(ctx, &ec2.RegisterImageInput{
		Name:                &e.o.Name,
		Description:         aws.String("CanvOS cloud image " + e.o.source() + " sha256 " + sum),
		Architecture:        e.o.architecture(),
		RootDeviceName:      aws.String(rootDevice),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{{DeviceName: aws.String(rootDevice), Ebs: &ec2types.EbsBlockDevice{SnapshotId: &snap}}},
		VirtualizationType:  aws.String("hvm"),
		BootMode:            ec2types.BootModeValuesUefi,
		EnaSupport:          aws.Bool(true),
		TagSpecifications:   []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeImage, Tags: e.o.tags(sum)}},
	})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidAMIName.Duplicate" {
		id, ok, err := e.existing(ctx, sum)
		if err != nil || ok {
			return id, ok, err
		}
	}
	if err != nil {
		return "", false, fmt.Errorf("ec2 RegisterImage %q from %s: %w", e.o.Name, snap, err)
	}
	id := aws.ToString(out.ImageId)
	e.o.printf("ec2: registered AMI %s (%q, %s, UEFI, ENA) from snapshot %s", id, e.o.Name, e.o.architecture(), snap)
	return id, false, e.waitImage(ctx, id)
}

// waitImage polls the AMI until it is available; any state but pending is a
// failure, reported with AWS' state reason.
func (e *ec2Flow) waitImage(ctx context.Context, id string) error {
	for {
		out, err := e.api.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
		if err != nil {
			return fmt.Errorf("ec2 DescribeImages %s: %w", id, err)
		}
		if len(out.Images) != 1 {
			return fmt.Errorf("ec2 DescribeImages %s: %d images", id, len(out.Images))
		}
		img := out.Images[0]
		switch img.State {
		case ec2types.ImageStateAvailable:
			e.o.printf("ec2: AMI %s is available", id)
			return nil
		case ec2types.ImageStatePending:
		default:
			reason := ""
			if img.StateReason != nil {
				reason = aws.ToString(img.StateReason.Message)
			}
			return fmt.Errorf("ec2 AMI %s is %s: %s", id, img.State, reason)
		}
		if err := sleep(ctx, e.o.Poll); err != nil {
			return fmt.Errorf("waiting for AMI %s: %w", id, err)
		}
	}
}

func tagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}
