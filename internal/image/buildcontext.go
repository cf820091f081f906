package image

import (
	"archive/tar"
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// ignorePattern is one line of a .dockerignore file.
type ignorePattern struct {
	pattern string
	negate  bool // "!pattern": re-include what an earlier line excluded
}

// parseDockerignore reads .dockerignore lines as docker does: blank lines
// and "#" comments skipped, "!" negates, paths cleaned and relative to the
// context root.
func parseDockerignore(r io.Reader) ([]ignorePattern, error) {
	var out []ignorePattern
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := ignorePattern{}
		if strings.HasPrefix(line, "!") {
			p.negate = true
			line = strings.TrimSpace(line[1:])
		}
		line = strings.TrimPrefix(path.Clean(filepath.ToSlash(line)), "/")
		if line == "" || line == "." {
			continue
		}
		if !doublestar.ValidatePattern(line) {
			return nil, fmt.Errorf("invalid pattern %q", line)
		}
		p.pattern = line
		out = append(out, p)
	}
	return out, sc.Err()
}

// ignored tells whether rel (slash-separated, relative to the context) is
// excluded: the last matching line wins, and a line matching a directory
// matches everything under it.
func ignored(patterns []ignorePattern, rel string) bool {
	excluded := false
	for _, p := range patterns {
		if matchPathOrParent(p.pattern, rel) {
			excluded = !p.negate
		}
	}
	return excluded
}

func matchPathOrParent(pattern, rel string) bool {
	for p := rel; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		if ok, _ := doublestar.Match(pattern, p); ok { // pattern was validated
			return true
		}
	}
	return false
}

// contextTar streams the build context dir as a tar archive, leaving out
// what .dockerignore excludes (except the Dockerfile and .dockerignore,
// which the engine needs). dockerfile is a path relative to dir or
// absolute; one outside dir is added under a generated name. It returns
// the Dockerfile's name inside the archive.
func contextTar(dir, dockerfile string) (io.ReadCloser, string, error) {
	var patterns []ignorePattern
	if f, err := os.Open(filepath.Join(dir, ".dockerignore")); err == nil {
		patterns, err = parseDockerignore(f)
		f.Close()
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", filepath.Join(dir, ".dockerignore"), err)
		}
	}
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	abs := dockerfile
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(dir, dockerfile)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, "", fmt.Errorf("dockerfile: %w (hint: --file names it, relative to the context)", err)
	}
	inside, outsideName := "", ""
	if rel, err := filepath.Rel(dir, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		inside = filepath.ToSlash(rel)
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		outsideName = ".gantry-dockerfile-" + hex.EncodeToString(b[:])
	}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := writeContext(tw, dir, patterns, inside)
		if err == nil && outsideName != "" {
			err = addFile(tw, abs, outsideName)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	if outsideName != "" {
		return pr, outsideName, nil
	}
	return pr, inside, nil
}

func writeContext(tw *tar.Writer, dir string, patterns []ignorePattern, dockerfile string) error {
	negations := false
	for _, p := range patterns {
		negations = negations || p.negate
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != dockerfile && rel != ".dockerignore" && ignored(patterns, rel) {
			if d.IsDir() && !negations && !strings.HasPrefix(dockerfile, rel+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		return addFile(tw, p, rel)
	})
}

// addFile adds one file, directory or symlink under name, owned by root as
// the docker CLI sends it.
func addFile(tw *tar.Writer, p, name string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() && link == "" {
		return nil // sockets, devices, fifos: not build input
	}
	h, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	h.Name = name
	if fi.IsDir() {
		h.Name += "/"
	}
	h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
	// Whole seconds and no access or change times keep headers in the USTAR
	// format: BuildKit recognizes an uploaded context as an archive by
	// parsing its first header alone, which a PAX record defeats.
	h.ModTime = h.ModTime.Truncate(time.Second)
	h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}
