// Package mr3conf owns the typed model of Spark on MR3's configuration files: mr3-site.xml
// (Hadoop <configuration> XML), spark-defaults.conf (Java properties), the value syntaxes
// inside them (host aliases, pod labels, Hadoop booleans and integers), env.sh as MR3's
// scripts source it, the -D options those scripts build from it, and the effective
// configuration (the files with the -D options laid over them). Every reader of MR3's files
// goes through this package. Parsing keeps the order of the files so that rendering is
// stable; every parser rejects oversized input so that memory stays bounded.
package mr3conf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxFileBytes is the largest configuration file accepted: a ConfigMap holds at most 1 MiB.
const MaxFileBytes = 1 << 20

// ErrTooLarge is wrapped by errors about input over MaxFileBytes.
var ErrTooLarge = errors.New("input too large")

// Property is one <property> of a Hadoop configuration file.
type Property struct {
	Name  string
	Value string
	// Final is Hadoop's <final>true</final>: later resources cannot override it.
	Final bool
	// Description is kept so that rendering a parsed file does not lose documentation.
	Description string
	// Line is the 1-based line of <property> in the parsed input (0 when set in code).
	Line int
	// Override is the driver's -D option that replaced the file's value (Overlay), else nil.
	Override *DOption
}

// Site is a Hadoop-style configuration file such as mr3-site.xml, in file order.
type Site struct {
	// File names the file in messages, e.g. "mr3-site.xml".
	File       string
	properties []Property
	index      map[string]int
}

// NewSite returns an empty configuration named file.
func NewSite(file string) *Site {
	return &Site{File: file, index: map[string]int{}}
}

// Properties returns the properties in file order. The slice must not be modified.
func (s *Site) Properties() []Property { return s.properties }

// Get returns the value of name and whether it is set.
func (s *Site) Get(name string) (string, bool) {
	if i, ok := s.index[name]; ok {
		return s.properties[i].Value, true
	}
	return "", false
}

// Property returns the property called name.
func (s *Site) Property(name string) (Property, bool) {
	if i, ok := s.index[name]; ok {
		return s.properties[i], true
	}
	return Property{}, false
}

// Set sets name to value, in place when it exists, else at the end.
func (s *Site) Set(name, value string) {
	if i, ok := s.index[name]; ok {
		s.properties[i].Value = value
		s.properties[i].Override = nil
		return
	}
	s.index[name] = len(s.properties)
	s.properties = append(s.properties, Property{Name: name, Value: value})
}

// Delete removes name; it reports whether it was set.
func (s *Site) Delete(name string) bool {
	i, ok := s.index[name]
	if !ok {
		return false
	}
	s.properties = append(s.properties[:i], s.properties[i+1:]...)
	delete(s.index, name)
	for j := i; j < len(s.properties); j++ {
		s.index[s.properties[j].Name] = j
	}
	return true
}

type xmlProperty struct {
	Name        *string `xml:"name"`
	Value       *string `xml:"value"`
	Final       string  `xml:"final"`
	Description string  `xml:"description"`
}

// ParseSite parses a Hadoop configuration file. file names it in errors. Hadoop lets a later
// property silently override an earlier one; here a name defined twice is an error, because
// in a generated file it means two settings fight and only one can win.
func ParseSite(file string, data []byte) (*Site, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %w: %d bytes, the limit is %d (a ConfigMap holds at most 1 MiB)", file, ErrTooLarge, len(data), MaxFileBytes)
	}
	s := NewSite(file)
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	// Only the predefined entities exist; external entities are never fetched by encoding/xml.
	depth := 0
	sawRoot := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: invalid XML: %w; the file must be <configuration><property><name>…</name><value>…</value></property>…</configuration>", file, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := dec.InputPos()
			switch {
			case depth == 0:
				if t.Name.Local != "configuration" {
					return nil, fmt.Errorf("%s line %d: root element is <%s>, want <configuration>", file, line, t.Name.Local)
				}
				if sawRoot {
					return nil, fmt.Errorf("%s line %d: a second <configuration> element; keep one", file, line)
				}
				sawRoot = true
				depth++
			case depth == 1 && t.Name.Local == "property":
				var p xmlProperty
				if err := dec.DecodeElement(&p, &t); err != nil {
					return nil, fmt.Errorf("%s line %d: invalid <property>: %w", file, line, err)
				}
				if err := s.add(p, line); err != nil {
					return nil, err
				}
			default:
				// Hadoop ignores other elements (e.g. <include>); skip their content.
				if err := dec.Skip(); err != nil {
					return nil, fmt.Errorf("%s line %d: invalid XML in <%s>: %w", file, line, t.Name.Local, err)
				}
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				line, _ := dec.InputPos()
				return nil, fmt.Errorf("%s line %d: text outside <configuration>", file, line)
			}
		}
	}
	if !sawRoot {
		return nil, fmt.Errorf("%s: no <configuration> element; the file must be <configuration><property>…</property></configuration>", file)
	}
	return s, nil
}

func (s *Site) add(p xmlProperty, line int) error {
	if p.Name == nil || strings.TrimSpace(*p.Name) == "" {
		return fmt.Errorf("%s line %d: <property> without a <name>; add <name>key</name> or remove the property", s.File, line)
	}
	name := strings.TrimSpace(*p.Name)
	value := ""
	if p.Value != nil {
		value = *p.Value
	}
	if i, dup := s.index[name]; dup {
		prev := s.properties[i]
		return fmt.Errorf("%s line %d: %s is set twice (line %d: %q, line %d: %q); keep one of them", s.File, line, name, prev.Line, prev.Value, line, value)
	}
	s.index[name] = len(s.properties)
	s.properties = append(s.properties, Property{
		Name: name, Value: value, Line: line,
		Final:       strings.EqualFold(strings.TrimSpace(p.Final), "true"),
		Description: strings.TrimSpace(p.Description),
	})
	return nil
}

// Render writes the file in Hadoop's layout, properties in order.
func (s *Site) Render() []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\"?>\n<configuration>\n")
	for _, p := range s.properties {
		b.WriteString("\n  <property>\n    <name>")
		xmlEscape(&b, p.Name)
		b.WriteString("</name>\n    <value>")
		xmlEscape(&b, p.Value)
		b.WriteString("</value>\n")
		if p.Final {
			b.WriteString("    <final>true</final>\n")
		}
		if p.Description != "" {
			b.WriteString("    <description>")
			xmlEscape(&b, p.Description)
			b.WriteString("</description>\n")
		}
		b.WriteString("  </property>\n")
	}
	b.WriteString("\n</configuration>\n")
	return b.Bytes()
}

func xmlEscape(b *bytes.Buffer, s string) {
	// EscapeText only fails on a failing writer; a bytes.Buffer does not fail.
	_ = xml.EscapeText(b, []byte(s))
}
