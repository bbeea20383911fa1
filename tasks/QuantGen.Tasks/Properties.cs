using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("QuantGen.Hls.Tests")]
