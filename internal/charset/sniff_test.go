package charset

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/text/encoding/charmap"
)

func TestSniffWesternTextStaysWestern(t *testing.T) {
	texts := []string{
		"Größe, Übung, schön, Straße, Mädchen und Bäume.",
		"El niño comió piñata, ¿qué más? ¡Olé! Añadir.",
		"A informação e a educação são importantes. Não há razão.",
		"Blåbærsyltetøj på smørrebrød.",
		"Ça va? Où êtes-vous né? À l'île, Noël.",
		"façade",
		"ÀÉÎÕÜ",
		"naïve",
		"Ærø",
	}
	for _, s := range texts {
		b, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(s))
		assert.NoError(t, err)
		got := Sniff(b)
		assert.Contains(t, []string{"iso-8859-1", "windows-1252"}, got, s)
		assert.Equal(t, s, Decode(b, ""), s)
	}
}
