package awsimage

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"dagger/canvos/usererr"
)

// noCredentials says how to give credentials; it is the whole error, so no
// value from the environment or a file ever reaches a log.
const noCredentials = "none found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), " +
	"or AWS_PROFILE with AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE; with Dagger pass them as secrets " +
	"(--aws-access-key-id env://AWS_ACCESS_KEY_ID --aws-secret-access-key env://AWS_SECRET_ACCESS_KEY, or --aws-credentials file://…)"

// Connect builds the S3 and EC2 clients for region the way the AWS CLI
// finds credentials — environment, then the shared credentials and config
// files (AWS_PROFILE) — except the instance metadata service, which is off:
// credentials are given, never picked up from the machine the build runs on.
// It fails before any request when no credentials are found. An endpoint
// override (AWS_ENDPOINT_URL_S3, for S3-compatible stores) is addressed
// path-style, as those stores expect.
func Connect(ctx context.Context, region string) (Clients, error) {
	if err := privateFile(credentialsFile()); err != nil {
		return Clients{}, err
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region),
		awsconfig.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	if err != nil {
		return Clients{}, usererr.Newf("AWS configuration", "%v", err)
	}
	if cfg.Credentials == nil {
		return Clients{}, usererr.Newf("AWS credentials", noCredentials)
	}
	if creds, err := cfg.Credentials.Retrieve(ctx); err != nil || !creds.HasKeys() {
		return Clients{}, usererr.Newf("AWS credentials", noCredentials)
	}
	return Clients{
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			// Content-MD5 guards each part; the SDK's default CRC32 trailer
			// (aws-chunked) is not understood by every S3-compatible store.
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.UsePathStyle = o.BaseEndpoint != nil
		}),
		EC2: ec2.NewFromConfig(cfg),
	}, nil
}

// credentialsFile is where the SDK reads the shared credentials file.
func credentialsFile() string {
	if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		return f
	}
	return awsconfig.DefaultSharedCredentialsFilename()
}

// privateFile refuses a credentials file that others can read, as ssh does
// with keys: secrets live in 0600 files.
func privateFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return nil // none: credentials come from elsewhere, or are missing
	}
	if st.Mode().Perm()&0o077 != 0 {
		return usererr.New("AWS credentials file "+path, fmt.Sprintf("mode %04o", st.Mode().Perm()), "readable by its owner only (chmod 600)")
	}
	return nil
}
