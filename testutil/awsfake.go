package testutil

// The EC2 side of the AWS fake is written here: no Go library fakes EC2's
// VM Import (moto and LocalStack are Python). It speaks the EC2 query
// protocol (form-encoded Action=…&Version=2016-11-15, XML answers) with the
// request parameters and response elements of AWS' EC2 API Reference for
// ImportSnapshot, DescribeImportSnapshotTasks, RegisterImage, DescribeImages
// and CreateTags; it refuses a request that lacks a parameter the flow must
// send, so a test also checks what the SDK puts on the wire. S3 is
// johannesboyne/gofakes3 in memory.

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// FakeAccount is the account id the fake answers as.
const FakeAccount = "123456789012"

// AWSFake is an in-process S3 and EC2 for one test.
type AWSFake struct {
	S3URL, EC2URL string
	S3Backend     gofakes3.Backend
	EC2           *EC2Fake

	mu         sync.Mutex
	s3Requests []string // "METHOD path?query", in order
}

// NewAWS starts the fakes with bucket created; they stop with the test.
func NewAWS(t testing.TB, bucket string) *AWSFake {
	t.Helper()
	f := &AWSFake{S3Backend: s3mem.New()}
	if err := f.S3Backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	s3h := gofakes3.New(f.S3Backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	primeUploads(t, s3h, bucket)
	s3srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.s3Requests = append(f.s3Requests, r.Method+" "+r.URL.RequestURI())
		f.mu.Unlock()
		s3h.ServeHTTP(w, r)
	}))
	t.Cleanup(s3srv.Close)
	f.EC2 = &EC2Fake{S3: f.S3Backend, PollsToComplete: 2, PollsToAvailable: 2,
		images: map[string]*fakeImage{}, tasks: map[string]*fakeTask{}, Snapshots: map[string]map[string]string{}}
	ec2srv := httptest.NewServer(f.EC2)
	t.Cleanup(ec2srv.Close)
	f.S3URL, f.EC2URL = s3srv.URL, ec2srv.URL
	return f
}

// primeUploads starts and aborts one multipart upload: gofakes3 v1.2.0
// answers ListMultipartUploads of a bucket that never had one with 404
// NoSuchUpload, where S3 answers an empty list.
func primeUploads(t testing.TB, h http.Handler, bucket string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/"+bucket+"/.prime?uploads", nil))
	var out struct {
		UploadID string `xml:"UploadId"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.UploadID == "" {
		t.Fatalf("gofakes3: start upload: %v %s", err, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/"+bucket+"/.prime?uploadId="+out.UploadID, nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("gofakes3: abort upload: %d %s", rec.Code, rec.Body)
	}
}

// S3Requests returns the S3 requests so far.
func (f *AWSFake) S3Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.s3Requests...)
}

// Object returns the bytes and metadata stored at bucket/key.
func (f *AWSFake) Object(t testing.TB, bucket, key string) ([]byte, map[string]string) {
	t.Helper()
	obj, err := f.S3Backend.GetObject(bucket, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Contents.Close()
	b, err := io.ReadAll(obj.Contents)
	if err != nil {
		t.Fatal(err)
	}
	return b, obj.Metadata
}

// EC2Call is one request the EC2 fake answered.
type EC2Call struct {
	Action string
	Params url.Values
}

// EC2Fake answers the EC2 actions of the cloud image flow with state
// transitions: an import task is active for PollsToComplete queries, then
// completed (or deleted with ImportFailure as its status message); an AMI
// is pending for PollsToAvailable queries, then available.
type EC2Fake struct {
	S3               gofakes3.Backend
	PollsToComplete  int
	PollsToAvailable int
	ImportFailure    string // status message of a failing import; empty: imports succeed
	ImageFailure     string // state reason of a registered AMI that fails; empty: AMIs become available
	// RegisterRace registers an AMI of the requested name just before
	// RegisterImage, as a concurrent run would; RegisterImage then fails
	// with InvalidAMIName.Duplicate.
	RegisterRace bool
	Snapshots    map[string]map[string]string // snapshot id → tags

	mu     sync.Mutex
	calls  []EC2Call
	images map[string]*fakeImage
	tasks  map[string]*fakeTask
	next   int
}

type fakeImage struct {
	id, name, owner, state, created string
	reason                          string     // of a failed AMI
	params                          url.Values // of RegisterImage
	tags                            map[string]string
	polls                           int
}

type fakeTask struct {
	id, bucket, key string
	polls           int
	size            int64
	snapshot        string
}

// AddImage registers an AMI as if it existed before the test.
func (f *EC2Fake) AddImage(name, owner, state string, tags map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addImage(name, owner, state, tags, nil).id
}

func (f *EC2Fake) addImage(name, owner, state string, tags map[string]string, params url.Values) *fakeImage {
	f.next++
	img := &fakeImage{id: fmt.Sprintf("ami-%017x", f.next), name: name, owner: owner, state: state,
		created: fmt.Sprintf("2026-01-01T00:00:%02d.000Z", f.next), tags: tags, params: params}
	f.images[img.id] = img
	return img
}

// Calls returns the requests so far.
func (f *EC2Fake) Calls() []EC2Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]EC2Call(nil), f.calls...)
}

// Actions returns the Action of every request so far.
func (f *EC2Fake) Actions() []string {
	var a []string
	for _, c := range f.Calls() {
		a = append(a, c.Action)
	}
	return a
}

// Image returns RegisterImage's parameters and the tags of AMI id.
func (f *EC2Fake) Image(id string) (url.Values, map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img := f.images[id]
	if img == nil {
		return nil, nil
	}
	return img.params, img.tags
}

// ec2Error is the EC2 query protocol's error body.
type ec2Error struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func missing(p string) error {
	return &apiError{400, "MissingParameter", "The request must contain the parameter " + p}
}

func (f *EC2Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := f.serve(r)
	if err != nil {
		e, ok := err.(*apiError)
		if !ok {
			e = &apiError{500, "InternalError", err.Error()}
		}
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(e.status)
		_ = xml.NewEncoder(w).Encode(ec2Error{Code: e.code, Message: e.message, RequestID: "fake-request"})
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(body)
}

func (f *EC2Fake) serve(r *http.Request) (any, error) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=") {
		return nil, &apiError{401, "AuthFailure", "AWS was not able to validate the provided access credentials"}
	}
	if err := r.ParseForm(); err != nil {
		return nil, &apiError{400, "MalformedQueryString", err.Error()}
	}
	p := r.PostForm
	if p.Get("Version") != "2016-11-15" {
		return nil, &apiError{400, "InvalidParameterValue", "unsupported Version " + p.Get("Version")}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, EC2Call{Action: p.Get("Action"), Params: p})
	switch p.Get("Action") {
	case "ImportSnapshot":
		return f.importSnapshot(p)
	case "DescribeImportSnapshotTasks":
		return f.describeImportSnapshotTasks(p)
	case "RegisterImage":
		return f.registerImage(p)
	case "DescribeImages":
		return f.describeImages(p)
	case "CreateTags":
		return f.createTags(p)
	}
	return nil, &apiError{400, "InvalidAction", "The action " + p.Get("Action") + " is not valid for this web service."}
}

// list returns prefix.1, prefix.2, … (the query protocol's lists).
func list(p url.Values, prefix string) []string {
	var out []string
	for i := 1; p.Has(prefix + "." + strconv.Itoa(i)); i++ {
		out = append(out, p.Get(prefix+"."+strconv.Itoa(i)))
	}
	return out
}

// tags returns prefix.N.Key / prefix.N.Value.
func tags(p url.Values, prefix string) map[string]string {
	m := map[string]string{}
	for i := 1; p.Has(fmt.Sprintf("%s.%d.Key", prefix, i)); i++ {
		m[p.Get(fmt.Sprintf("%s.%d.Key", prefix, i))] = p.Get(fmt.Sprintf("%s.%d.Value", prefix, i))
	}
	return m
}

func needParams(p url.Values, names ...string) error {
	for _, n := range names {
		if p.Get(n) == "" {
			return missing(n)
		}
	}
	return nil
}

type userBucket struct {
	S3Bucket string `xml:"s3Bucket"`
	S3Key    string `xml:"s3Key"`
}

type snapshotTaskDetail struct {
	DiskImageSize float64    `xml:"diskImageSize"` // GiB
	Format        string     `xml:"format"`
	Progress      string     `xml:"progress,omitempty"`
	SnapshotID    string     `xml:"snapshotId,omitempty"`
	Status        string     `xml:"status"`
	StatusMessage string     `xml:"statusMessage,omitempty"`
	UserBucket    userBucket `xml:"userBucket"`
}

type importSnapshotResponse struct {
	XMLName      xml.Name           `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ ImportSnapshotResponse"`
	RequestID    string             `xml:"requestId"`
	Description  string             `xml:"description"`
	ImportTaskID string             `xml:"importTaskId"`
	Detail       snapshotTaskDetail `xml:"snapshotTaskDetail"`
}

func (f *EC2Fake) importSnapshot(p url.Values) (any, error) {
	if err := needParams(p, "DiskContainer.Format", "DiskContainer.UserBucket.S3Bucket", "DiskContainer.UserBucket.S3Key"); err != nil {
		return nil, err
	}
	if p.Get("TagSpecification.1.ResourceType") != "import-snapshot-task" {
		return nil, &apiError{400, "InvalidParameterValue", "TagSpecification.1.ResourceType must be import-snapshot-task"}
	}
	t := &fakeTask{bucket: p.Get("DiskContainer.UserBucket.S3Bucket"), key: p.Get("DiskContainer.UserBucket.S3Key")}
	obj, err := f.S3.HeadObject(t.bucket, t.key)
	if err != nil {
		// AWS answers this at once when the role cannot read the object.
		return nil, &apiError{400, "InvalidParameter", "The given S3 object is not local to the region or does not exist"}
	}
	f.next++
	t.id, t.size = fmt.Sprintf("import-snap-%017x", f.next), obj.Size
	f.tasks[t.id] = t
	return importSnapshotResponse{RequestID: "fake-request", Description: p.Get("Description"), ImportTaskID: t.id,
		Detail: f.detail(t, "active", "pending", "0")}, nil
}

func (f *EC2Fake) detail(t *fakeTask, status, msg, progress string) snapshotTaskDetail {
	return snapshotTaskDetail{DiskImageSize: float64(t.size) / (1 << 30), Format: "RAW", Progress: progress, SnapshotID: t.snapshot,
		Status: status, StatusMessage: msg, UserBucket: userBucket{t.bucket, t.key}}
}

type importSnapshotTask struct {
	ImportTaskID string             `xml:"importTaskId"`
	Detail       snapshotTaskDetail `xml:"snapshotTaskDetail"`
}

type describeImportSnapshotTasksResponse struct {
	XMLName   xml.Name             `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeImportSnapshotTasksResponse"`
	RequestID string               `xml:"requestId"`
	Tasks     []importSnapshotTask `xml:"importSnapshotTaskSet>item"`
}

func (f *EC2Fake) describeImportSnapshotTasks(p url.Values) (any, error) {
	out := describeImportSnapshotTasksResponse{RequestID: "fake-request"}
	for _, id := range list(p, "ImportTaskId") {
		t := f.tasks[id]
		if t == nil {
			return nil, &apiError{400, "InvalidConversionTaskId.Malformed", "The import task ID '" + id + "' is malformed"}
		}
		t.polls++
		var d snapshotTaskDetail
		switch {
		case t.polls <= f.PollsToComplete:
			d = f.detail(t, "active", "downloading/converting", strconv.Itoa(t.polls*100/(f.PollsToComplete+1)))
		case f.ImportFailure != "":
			d = f.detail(t, "deleted", f.ImportFailure, "")
		default:
			if t.snapshot == "" {
				f.next++
				t.snapshot = fmt.Sprintf("snap-%017x", f.next)
				f.Snapshots[t.snapshot] = map[string]string{}
			}
			d = f.detail(t, "completed", "", "")
		}
		out.Tasks = append(out.Tasks, importSnapshotTask{ImportTaskID: id, Detail: d})
	}
	return out, nil
}

type registerImageResponse struct {
	XMLName   xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ RegisterImageResponse"`
	RequestID string   `xml:"requestId"`
	ImageID   string   `xml:"imageId"`
}

func (f *EC2Fake) registerImage(p url.Values) (any, error) {
	if err := needParams(p, "Name", "Architecture", "RootDeviceName", "BlockDeviceMapping.1.DeviceName", "BlockDeviceMapping.1.Ebs.SnapshotId"); err != nil {
		return nil, err
	}
	if _, ok := f.Snapshots[p.Get("BlockDeviceMapping.1.Ebs.SnapshotId")]; !ok {
		return nil, &apiError{400, "InvalidSnapshot.NotFound", "The snapshot '" + p.Get("BlockDeviceMapping.1.Ebs.SnapshotId") + "' does not exist."}
	}
	if f.RegisterRace {
		f.addImage(p.Get("Name"), FakeAccount, "available", nil, nil)
	}
	for _, img := range f.images {
		if img.name == p.Get("Name") && img.owner == FakeAccount && img.state != "deregistered" {
			return nil, &apiError{400, "InvalidAMIName.Duplicate", "AMI name " + img.name + " is already in use by AMI " + img.id}
		}
	}
	img := f.addImage(p.Get("Name"), FakeAccount, "pending", map[string]string{}, p)
	if p.Get("TagSpecification.1.ResourceType") == "image" {
		img.tags = tags(p, "TagSpecification.1.Tag")
	}
	return registerImageResponse{RequestID: "fake-request", ImageID: img.id}, nil
}

type tagItem struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type imageItem struct {
	ImageID            string    `xml:"imageId"`
	ImageOwnerID       string    `xml:"imageOwnerId"`
	ImageState         string    `xml:"imageState"`
	Name               string    `xml:"name"`
	CreationDate       string    `xml:"creationDate"`
	Architecture       string    `xml:"architecture,omitempty"`
	BootMode           string    `xml:"bootMode,omitempty"`
	EnaSupport         bool      `xml:"enaSupport"`
	RootDeviceName     string    `xml:"rootDeviceName,omitempty"`
	RootDeviceType     string    `xml:"rootDeviceType"`
	VirtualizationType string    `xml:"virtualizationType,omitempty"`
	StateReasonCode    string    `xml:"stateReason>code,omitempty"`
	StateReasonMessage string    `xml:"stateReason>message,omitempty"`
	Tags               []tagItem `xml:"tagSet>item"`
}

type describeImagesResponse struct {
	XMLName   xml.Name    `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeImagesResponse"`
	RequestID string      `xml:"requestId"`
	Images    []imageItem `xml:"imagesSet>item"`
}

func (f *EC2Fake) describeImages(p url.Values) (any, error) {
	ids, owners := list(p, "ImageId"), list(p, "Owner")
	filters := map[string][]string{}
	for i := 1; p.Has(fmt.Sprintf("Filter.%d.Name", i)); i++ {
		filters[p.Get(fmt.Sprintf("Filter.%d.Name", i))] = list(p, fmt.Sprintf("Filter.%d.Value", i))
	}
	out := describeImagesResponse{RequestID: "fake-request"}
	for _, img := range f.sortedImages() {
		if !f.selected(img, ids, owners, filters) {
			continue
		}
		if len(ids) > 0 && img.state == "pending" {
			if img.polls++; img.polls >= f.PollsToAvailable {
				img.state, img.reason = "available", ""
				if f.ImageFailure != "" {
					img.state, img.reason = "failed", f.ImageFailure
				}
			}
		}
		out.Images = append(out.Images, item(img))
	}
	return out, nil
}

func (f *EC2Fake) selected(img *fakeImage, ids, owners []string, filters map[string][]string) bool {
	match := func(vs []string, v string) bool { return len(vs) == 0 || slices.Contains(vs, v) }
	for i, o := range owners {
		if o == "self" {
			owners[i] = FakeAccount
		}
	}
	return match(ids, img.id) && match(owners, img.owner) && match(filters["name"], img.name) && match(filters["state"], img.state)
}

func item(img *fakeImage) imageItem {
	it := imageItem{ImageID: img.id, ImageOwnerID: img.owner, ImageState: img.state, Name: img.name, CreationDate: img.created,
		RootDeviceType: "ebs", Architecture: "x86_64"}
	if img.params != nil {
		it.Architecture, it.BootMode, it.RootDeviceName = img.params.Get("Architecture"), img.params.Get("BootMode"), img.params.Get("RootDeviceName")
		it.EnaSupport, it.VirtualizationType = img.params.Get("EnaSupport") == "true", img.params.Get("VirtualizationType")
	}
	if img.state == "failed" {
		it.StateReasonCode, it.StateReasonMessage = "Client.InvalidSnapshot.NotFound", cmp.Or(img.reason, "snapshot not found")
	}
	for _, k := range slices.Sorted(maps.Keys(img.tags)) {
		it.Tags = append(it.Tags, tagItem{k, img.tags[k]})
	}
	return it
}

type createTagsResponse struct {
	XMLName   xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ CreateTagsResponse"`
	RequestID string   `xml:"requestId"`
	Return    bool     `xml:"return"`
}

func (f *EC2Fake) createTags(p url.Values) (any, error) {
	ids := list(p, "ResourceId")
	if len(ids) == 0 {
		return nil, missing("ResourceId.1")
	}
	for _, id := range ids {
		target := f.Snapshots[id]
		if img := f.images[id]; img != nil {
			target = img.tags
		}
		if target == nil {
			return nil, &apiError{400, "InvalidID", "The ID '" + id + "' is not valid"}
		}
		for k, v := range tags(p, "Tag") {
			target[k] = v
		}
	}
	return createTagsResponse{RequestID: "fake-request", Return: true}, nil
}

func (f *EC2Fake) sortedImages() []*fakeImage {
	out := make([]*fakeImage, 0, len(f.images))
	for _, id := range slices.Sorted(maps.Keys(f.images)) {
		out = append(out, f.images[id])
	}
	return out
}
