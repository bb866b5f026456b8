package awsimage

// The multipart protocol is driven here with service/s3 rather than through
// feature/s3/manager: that uploader is deprecated (superseded by
// feature/s3/transfermanager) and neither of them resumes an interrupted
// upload, which needs ListMultipartUploads + ListParts and a check of every
// part already sent against the local file.

import (
	"cmp"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"dagger/canvos/usererr"
)

// S3's multipart limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html).
const (
	minPartSize     = 5 << 20
	maxParts        = 10000
	defaultPartSize = 64 << 20
)

// metaSHA256 is the user metadata key (x-amz-meta-sha256) of the uploaded object.
const metaSHA256 = "sha256"

// fileDigest is what one read of the raw file yields: its size, sha256 and
// the MD5 of every part (S3's ETag of a part without SSE-KMS).
type fileDigest struct {
	path     string
	size     int64
	partSize int64
	sha256   string
	partMD5  [][md5.Size]byte
}

func (d fileDigest) parts() int { return len(d.partMD5) }

// partLen is the length of part n (1-based).
func (d fileDigest) partLen(n int) int64 {
	return min(d.partSize, d.size-int64(n-1)*d.partSize)
}

// partSizeFor keeps the part count within S3's limit.
func partSizeFor(size, want int64) int64 {
	if want == 0 {
		want = defaultPartSize
	}
	want = max(want, minPartSize)
	if need := (size + maxParts - 1) / maxParts; need > want {
		want = (need + 1<<20 - 1) &^ (1<<20 - 1) // whole MiB
	}
	return want
}

// digest reads the raw file once for its sha256 and its part MD5s.
func digest(path string, partSize int64, printf func(string, ...any)) (fileDigest, error) {
	if printf == nil {
		printf = func(string, ...any) {}
	}
	f, err := os.Open(path)
	if err != nil {
		return fileDigest{}, usererr.Newf("--raw", "%v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fileDigest{}, err
	}
	if !st.Mode().IsRegular() || st.Size() == 0 {
		return fileDigest{}, usererr.New("--raw", path, "a non-empty raw disk image file")
	}
	d := fileDigest{path: path, size: st.Size(), partSize: partSizeFor(st.Size(), partSize)}
	whole := sha256.New()
	step := max(d.size/10, 1)
	for off := int64(0); off < d.size; off += d.partSize {
		part := md5.New()
		if _, err := io.CopyN(io.MultiWriter(whole, part), f, d.partLen(len(d.partMD5)+1)); err != nil {
			return fileDigest{}, fmt.Errorf("read %s: %w", path, err)
		}
		d.partMD5 = append(d.partMD5, [md5.Size]byte(part.Sum(nil)))
		if end := off + d.partSize; end/step != off/step && end < d.size {
			printf("sha256: %d%% of %s", end*100/d.size, path)
		}
	}
	d.sha256 = hex.EncodeToString(whole.Sum(nil))
	printf("sha256: %s  %s (%d bytes, %d parts of %d MiB)", d.sha256, path, d.size, d.parts(), d.partSize>>20)
	return d, nil
}

// upload puts the raw file at s3://Bucket/Key.
type upload struct {
	api      S3API
	o        Options
	d        fileDigest
	parallel int
}

// run uploads unless the object is already there; it reports whether bytes were sent.
func (u *upload) run(ctx context.Context) (bool, error) {
	same, err := u.present(ctx)
	if err != nil || same {
		return false, err
	}
	id, done, err := u.resumable(ctx)
	if err != nil {
		return false, err
	}
	if id == "" {
		out, err := u.api.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket: &u.o.Bucket, Key: &u.o.Key,
			ContentType: aws.String("application/octet-stream"),
			Metadata:    map[string]string{metaSHA256: u.d.sha256},
		})
		if err != nil {
			return false, fmt.Errorf("s3 CreateMultipartUpload %s: %w", u.o.source(), err)
		}
		id, done = aws.ToString(out.UploadId), map[int32]string{}
		u.o.printf("s3: uploading %s to %s (upload %s)", u.d.path, u.o.source(), id)
	}
	if err := u.sendParts(ctx, id, done); err != nil {
		return true, err
	}
	return true, u.complete(ctx, id, done)
}

// present reports whether the object exists with this file's size and sha256.
// A different object under the key is replaced (CanvOS would import it).
func (u *upload) present(ctx context.Context) (bool, error) {
	head, err := u.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &u.o.Bucket, Key: &u.o.Key})
	var missing *s3types.NotFound
	switch {
	case errors.As(err, &missing):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("s3 HeadObject %s: %w", u.o.source(), err)
	}
	if aws.ToInt64(head.ContentLength) == u.d.size && head.Metadata[metaSHA256] == u.d.sha256 {
		u.o.printf("s3: %s already holds this file (sha256 %s): not uploading it again", u.o.source(), u.d.sha256)
		return true, nil
	}
	u.o.printf("s3: %s holds another file (%d bytes, sha256 %q): replacing it", u.o.source(), aws.ToInt64(head.ContentLength), head.Metadata[metaSHA256])
	return false, nil
}

// resumable finds an unfinished upload to this key whose every part matches
// the local file, newest first, and returns its id and parts (ETags by number).
func (u *upload) resumable(ctx context.Context) (string, map[int32]string, error) {
	var open []s3types.MultipartUpload
	pages := s3.NewListMultipartUploadsPaginator(u.api, &s3.ListMultipartUploadsInput{Bucket: &u.o.Bucket, Prefix: &u.o.Key})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", nil, fmt.Errorf("s3 ListMultipartUploads %s: %w", u.o.source(), err)
		}
		for _, up := range page.Uploads {
			if aws.ToString(up.Key) == u.o.Key {
				open = append(open, up)
			}
		}
	}
	slices.SortFunc(open, func(a, b s3types.MultipartUpload) int {
		return aws.ToTime(b.Initiated).Compare(aws.ToTime(a.Initiated))
	})
	for _, up := range open {
		id := aws.ToString(up.UploadId)
		done, ok, err := u.matchingParts(ctx, id)
		if err != nil {
			return "", nil, err
		}
		if ok {
			u.o.printf("s3: resuming upload %s of %s: %d of %d parts already there", id, u.o.source(), len(done), u.d.parts())
			return id, done, nil
		}
		u.o.printf("s3: unfinished upload %s of %s holds other data: not resuming it", id, u.o.source())
	}
	return "", nil, nil
}

// matchingParts lists the parts of upload id; ok is false when one of them
// differs from the local file in number, size or MD5.
func (u *upload) matchingParts(ctx context.Context, id string) (map[int32]string, bool, error) {
	done := map[int32]string{}
	pages := s3.NewListPartsPaginator(u.api, &s3.ListPartsInput{Bucket: &u.o.Bucket, Key: &u.o.Key, UploadId: &id})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("s3 ListParts %s upload %s: %w", u.o.source(), id, err)
		}
		for _, p := range page.Parts {
			n := aws.ToInt32(p.PartNumber)
			etag := aws.ToString(p.ETag)
			if n < 1 || int(n) > u.d.parts() || aws.ToInt64(p.Size) != u.d.partLen(int(n)) ||
				strings.Trim(etag, `"`) != hex.EncodeToString(u.d.partMD5[n-1][:]) {
				return nil, false, nil
			}
			done[n] = etag
		}
	}
	return done, true, nil
}

// sendParts uploads every part not in done, a few at a time, and records
// their ETags in done.
func (u *upload) sendParts(ctx context.Context, id string, done map[int32]string) error {
	f, err := os.Open(u.d.path)
	if err != nil {
		return err
	}
	defer f.Close()
	var sent atomic.Int64
	for n := range done {
		sent.Add(u.d.partLen(int(n)))
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(u.parallel, 4))
	for n := 1; n <= u.d.parts(); n++ {
		if _, ok := done[int32(n)]; ok {
			continue
		}
		g.Go(func() error {
			etag, err := u.sendPart(gctx, f, id, n)
			if err != nil {
				return err
			}
			mu.Lock()
			done[int32(n)] = etag
			mu.Unlock()
			total := sent.Add(u.d.partLen(n))
			u.o.printf("s3: part %d/%d sent, %d%% of %d MiB", n, u.d.parts(), total*100/u.d.size, u.d.size>>20)
			return nil
		})
	}
	return g.Wait()
}

func (u *upload) sendPart(ctx context.Context, f *os.File, id string, n int) (string, error) {
	length := u.d.partLen(n)
	sum := u.d.partMD5[n-1]
	out, err := u.api.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: &u.o.Bucket, Key: &u.o.Key, UploadId: &id,
		PartNumber:    aws.Int32(int32(n)),
		Body:          io.NewSectionReader(f, int64(n-1)*u.d.partSize, length),
		ContentLength: aws.Int64(length),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum[:])), // S3 rejects a part that arrives damaged
	})
	if err != nil {
		return "", fmt.Errorf("s3 UploadPart %s part %d: %w", u.o.source(), n, err)
	}
	return aws.ToString(out.ETag), nil
}

// complete joins the parts and checks that the object is this file: a
// resumed upload may have been started by a run over another file whose
// first parts were the same, and its metadata would name that file.
func (u *upload) complete(ctx context.Context, id string, done map[int32]string) error {
	parts := make([]s3types.CompletedPart, 0, len(done))
	for n := 1; n <= u.d.parts(); n++ {
		parts = append(parts, s3types.CompletedPart{PartNumber: aws.Int32(int32(n)), ETag: aws.String(done[int32(n)])})
	}
	_, err := u.api.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &u.o.Bucket, Key: &u.o.Key, UploadId: &id,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return fmt.Errorf("s3 CompleteMultipartUpload %s: %w", u.o.source(), err)
	}
	head, err := u.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &u.o.Bucket, Key: &u.o.Key})
	if err != nil {
		return fmt.Errorf("s3 HeadObject %s: %w", u.o.source(), err)
	}
	if got := head.Metadata[metaSHA256]; aws.ToInt64(head.ContentLength) != u.d.size || got != u.d.sha256 {
		return fmt.Errorf("%s: the resumed upload %s was started for another file (%d bytes, sha256 %q, want %d bytes, %s); delete the object and run again",
			u.o.source(), id, aws.ToInt64(head.ContentLength), got, u.d.size, u.d.sha256)
	}
	u.o.printf("s3: %s uploaded (%d bytes)", u.o.source(), u.d.size)
	return nil
}
