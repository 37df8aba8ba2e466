package mllp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Framing bytes.
const (
	StartBlock     byte = 0x0B
	EndBlock       byte = 0x1C
	CarriageReturn byte = 0x0D
)

// Errors.
var (
	ErrFrame    = errors.New("mllp: malformed frame")
	ErrTooLarge = errors.New("mllp: message exceeds the size limit")
)

// DefaultMaxSize is the default limit on one message.
const DefaultMaxSize = 16 << 20

// Reader reads framed messages.
type Reader struct {
	br      *bufio.Reader
	maxSize int
	buf     []byte
	offset  int64
}

// NewReader returns a Reader; maxSize ≤ 0 means DefaultMaxSize.
func NewReader(r io.Reader, maxSize int) *Reader {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), maxSize: maxSize}
}

// FrameError reports where framing went wrong.
type FrameError struct {
	Offset int64 // byte offset in the stream
	Err    error
}

func (e *FrameError) Error() string { return fmt.Sprintf("%v at stream offset %d", e.Err, e.Offset) }
func (e *FrameError) Unwrap() error { return e.Err }

// ReadMessage returns the next message without its framing. The slice is
// valid until the next call. Bytes between frames other than CR and LF are
// an error; io.EOF is returned at a clean end between frames.
func (r *Reader) ReadMessage() ([]byte, error) {
	// Find the start block.
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			return nil, err // io.EOF between frames is a clean end
		}
		r.offset++
		if c == StartBlock {
			break
		}
		if c != '\r' && c != '\n' {
			return nil, &FrameError{Offset: r.offset - 1, Err: ErrFrame}
		}
	}
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice(EndBlock)
		r.offset += int64(len(chunk))
		if len(r.buf)+len(chunk) > r.maxSize+1 {
			return nil, &FrameError{Offset: r.offset, Err: ErrTooLarge}
		}
		r.buf = append(r.buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF {
				return nil, &FrameError{Offset: r.offset, Err: fmt.Errorf("%w: stream ended inside a frame: %w", ErrFrame, io.ErrUnexpectedEOF)}
			}
			return nil, err
		}
		break
	}
	msg := r.buf[:len(r.buf)-1] // drop the end block
	for i, c := range msg {
		if c == StartBlock {
			return nil, &FrameError{Offset: r.offset - int64(len(msg)-i) - 1, Err: fmt.Errorf("%w: start block inside a message", ErrFrame)}
		}
	}
	c, err := r.br.ReadByte()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, &FrameError{Offset: r.offset, Err: fmt.Errorf("%w: missing carriage return after end block: %w", ErrFrame, err)}
	}
	r.offset++
	if c != CarriageReturn {
		return nil, &FrameError{Offset: r.offset - 1, Err: fmt.Errorf("%w: end block not followed by a carriage return", ErrFrame)}
	}
	return msg, nil
}

// Writer writes framed messages.
type Writer struct{ w io.Writer }

// NewWriter returns a Writer.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WriteMessage writes msg framed, in one write. A message containing a
// framing byte is refused.
func (w *Writer) WriteMessage(msg []byte) error {
	for _, c := range msg {
		if c == StartBlock || c == EndBlock {
			return fmt.Errorf("%w: message contains a framing byte", ErrFrame)
		}
	}
	buf := make([]byte, 0, len(msg)+3)
	buf = append(buf, StartBlock)
	buf = append(buf, msg...)
	buf = append(buf, EndBlock, CarriageReturn)
	_, err := w.w.Write(buf)
	return err
}
