// Package tboard writes and reads TensorBoard event files: TFRecord files (each record a length, its
// masked CRC-32C, the payload and its masked CRC-32C) of tensorflow.Event protocol buffers holding
// scalar summaries. Only what scalars need is encoded — Event{wall_time 1, step 2, file_version 3,
// summary 5}, Summary{value 1}, Summary.Value{tag 1, simple_value 2} — with no protobuf dependency.
package tboard

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"
)

// FileVersion is the first event of every file, as TensorBoard's own writers put it.
const FileVersion = "brain.Event:2"

// Event is one decoded event: the file version, or a step's scalars (tag → value).
type Event struct {
	WallTime    float64
	Step        int64
	FileVersion string
	Scalars     []Scalar
}

// Scalar is one tagged value of an event.
type Scalar struct {
	Tag   string
	Value float32
}

// Writer appends events to one events file.
type Writer struct {
	f    *os.File
	w    *bufio.Writer
	Path string
	now  func() time.Time
}

// Create makes dir (when missing) and a new events file in it, named as TensorBoard looks for them
// (events.out.tfevents.<seconds>.<nanoseconds>.<host>.<pid>.midas), and writes its file-version event. Every run
// invocation writes its own file; TensorBoard reads them all.
func Create(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tboard: %v", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	now := time.Now()
	var f *os.File
	for n := 0; f == nil; n++ {
		// Names sort in writing order (TensorBoard reads a directory's files in name order): the
		// seconds, then the nanoseconds, nudged past a name that exists.
		t := now.Add(time.Duration(n))
		name := fmt.Sprintf("events.out.tfevents.%d.%09d.%s.%d.midas", t.Unix(), t.Nanosecond(), host, os.Getpid())
		f, err = os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil && (!errors.Is(err, fs.ErrExist) || n >= 1000) {
			return nil, fmt.Errorf("tboard: %v", err)
		}
	}
	w := &Writer{f: f, w: bufio.NewWriter(f), Path: f.Name(), now: time.Now}
	if err := w.write(Event{WallTime: seconds(now), FileVersion: FileVersion}); err != nil {
		f.Close()
		return nil, err
	}
	return w, w.Flush()
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// Scalars writes one event of step with the given scalars (in order), stamped with the time now.
// NaN and infinite values are written as they are; TensorBoard shows them as gaps.
func (w *Writer) Scalars(step int64, s []Scalar) error {
	return w.write(Event{WallTime: seconds(w.now()), Step: step, Scalars: s})
}

// Flush writes buffered events to the file, so that a TensorBoard reading it now sees them.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("tboard: %v", err)
	}
	return nil
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	err := w.Flush()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("tboard: %v", cerr)
	}
	return err
}

func (w *Writer) write(e Event) error {
	if _, err := w.w.Write(Record(Encode(e))); err != nil {
		return fmt.Errorf("tboard: %v", err)
	}
	return nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaskedCRC is TFRecord's checksum: CRC-32C, rotated right by 15 bits, plus 0xa282ead8.
func MaskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}

// Record frames a payload as one TFRecord.
func Record(payload []byte) []byte {
	out := make([]byte, 12, 16+len(payload))
	binary.LittleEndian.PutUint64(out, uint64(len(payload)))
	binary.LittleEndian.PutUint32(out[8:], MaskedCRC(out[:8]))
	out = append(out, payload...)
	return binary.LittleEndian.AppendUint32(out, MaskedCRC(payload))
}

// Encode writes an event as the tensorflow.Event protocol buffer.
func Encode(e Event) []byte {
	var b []byte
	b = append(b, 1<<3|1) // wall_time: double
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.WallTime))
	if e.Step != 0 {
		b = binary.AppendUvarint(append(b, 2<<3), uint64(e.Step)) // step: int64
	}
	if e.FileVersion != "" {
		b = appendBytes(b, 3, []byte(e.FileVersion))
	}
	if len(e.Scalars) > 0 {
		var sum []byte
		for _, s := range e.Scalars {
			v := appendBytes(nil, 1, []byte(s.Tag))
			v = binary.LittleEndian.AppendUint32(append(v, 2<<3|5), math.Float32bits(s.Value)) // simple_value: float
			sum = appendBytes(sum, 1, v)
		}
		b = appendBytes(b, 5, sum)
	}
	return b
}

// appendBytes appends a length-delimited field.
func appendBytes(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(append(b, byte(field<<3|2)), uint64(len(v)))
	return append(b, v...)
}

// maxRecord bounds one record's payload when reading (a scalar event is well under a kilobyte).
const maxRecord = 64 << 20

// Read decodes every event of an events file, checking both checksums of every record.
func Read(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tboard: %v", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var out []Event
	for i := 0; ; i++ {
		var head [12]byte
		if _, err := io.ReadFull(r, head[:]); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("tboard: %s: record %d: truncated header", path, i)
		}
		n := binary.LittleEndian.Uint64(head[:8])
		if binary.LittleEndian.Uint32(head[8:]) != MaskedCRC(head[:8]) {
			return nil, fmt.Errorf("tboard: %s: record %d: bad length checksum", path, i)
		}
		if n > maxRecord {
			return nil, fmt.Errorf("tboard: %s: record %d: %d bytes, more than %d", path, i, n, maxRecord)
		}
		buf := make([]byte, n+4)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("tboard: %s: record %d: truncated", path, i)
		}
		if binary.LittleEndian.Uint32(buf[n:]) != MaskedCRC(buf[:n]) {
			return nil, fmt.Errorf("tboard: %s: record %d: bad data checksum", path, i)
		}
		e, err := Decode(buf[:n])
		if err != nil {
			return nil, fmt.Errorf("tboard: %s: record %d: %v", path, i, err)
		}
		out = append(out, e)
	}
}

// Decode parses a tensorflow.Event, keeping the fields Encode writes and skipping all others.
func Decode(b []byte) (Event, error) {
	var e Event
	err := fields(b, func(num int, wire byte, v []byte, x uint64) error {
		switch {
		case num == 1 && wire == 1:
			e.WallTime = math.Float64frombits(x)
		case num == 2 && wire == 0:
			e.Step = int64(x)
		case num == 3 && wire == 2:
			e.FileVersion = string(v)
		case num == 5 && wire == 2:
			return fields(v, func(num int, wire byte, v []byte, _ uint64) error {
				if num != 1 || wire != 2 {
					return nil
				}
				s, err := decodeValue(v)
				e.Scalars = append(e.Scalars, s)
				return err
			})
		}
		return nil
	})
	return e, err
}

func decodeValue(b []byte) (Scalar, error) {
	var s Scalar
	err := fields(b, func(num int, wire byte, v []byte, x uint64) error {
		switch {
		case num == 1 && wire == 2:
			s.Tag = string(v)
		case num == 2 && wire == 5:
			s.Value = math.Float32frombits(uint32(x))
		}
		return nil
	})
	return s, err
}

var errTruncated = errors.New("truncated protocol buffer")

// fields walks a protocol buffer's fields: varint and fixed ones as x, length-delimited ones as v.
func fields(b []byte, each func(num int, wire byte, v []byte, x uint64) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return errTruncated
		}
		b = b[n:]
		num, wire := int(key>>3), byte(key&7)
		var v []byte
		var x uint64
		switch wire {
		case 0:
			if x, n = binary.Uvarint(b); n <= 0 {
				return errTruncated
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return errTruncated
			}
			x, b = binary.LittleEndian.Uint64(b), b[8:]
		case 5:
			if len(b) < 4 {
				return errTruncated
			}
			x, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errTruncated
			}
			v, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return fmt.Errorf("unsupported wire type %d", wire)
		}
		if err := each(num, wire, v, x); err != nil {
			return err
		}
	}
	return nil
}
