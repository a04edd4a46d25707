/*
 * currency: ISO 4217 list one (active codes, 2025), sorted so that a
 * lookup is a binary search.  Withdrawn codes (HRK, ...) are unknown: a
 * record that still carries one is worth a look.
 */
#include <stddef.h>
#include <string.h>

#include "salespipe/currency.h"

static const char codes[][4] = {
	"AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN",
	"BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV",
	"BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF",
	"CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK",
	"DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP",
	"GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL",
	"HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
	"JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
	"LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
	"MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR",
	"MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
	"PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF",
	"SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD",
	"SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP",
	"TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU",
	"UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU",
	"XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF",
	"XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG", "ZWL"
};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

int
sp_currency_known(const char *s, size_t n)
{
	char up[4];
	size_t i, lo = 0, hi = NCODES;
	int d;

	if (n != 3)
		return 0;
	for (i = 0; i < 3; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 'a' && ch <= 'z')
			ch -= 'a' - 'A';
		if (ch < 'A' || ch > 'Z')
			return 0;
		up[i] = (char)ch;
	}
	up[3] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((d = memcmp(up, codes[mid], 3)) == 0)
			return 1;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

const char *
sp_currency_code(size_t i)
{
	return i < NCODES ? codes[i] : NULL;
}
