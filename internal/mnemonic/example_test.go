package mnemonic_test

import (
	"errors"
	"fmt"

	"github.com/session-go/session-go/internal/mnemonic"
)

func ExampleDecode() {
	_, err := mnemonic.Decode("amaze buffet cake zzz symptoms tiger lamb maze nestle python dusted faxed faxed")
	fmt.Println("recovery password:", err)
	fmt.Println(errors.Is(err, mnemonic.ErrUnknownWord))

	seed, err := mnemonic.Decode("AMAZING  buffalo cakewalk entropy symbol tigger\nlambda mazurka nestling pythons dustpan faxing faxing")
	fmt.Printf("%x %v\n", seed, err)
	// Output:
	// recovery password: word 4 "zzz" is not in the word list
	// true
	// 000102030405060708090a0b0c0d0e0f <nil>
}
