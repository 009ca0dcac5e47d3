using System.Globalization;

namespace BertIgGrpc.Cli.Rendering;

/// <summary>One colour in HSL (hue in degrees, saturation and lightness in percent).</summary>
/// <param name="Hue">Hue, 0 (red) or 120 (green).</param>
/// <param name="Saturation">Saturation in percent.</param>
/// <param name="Lightness">Lightness in percent; 100 is white.</param>
public readonly record struct HslColor(int Hue, int Saturation, int Lightness)
{
    /// <summary>Gets the CSS form, e.g. <c>hsl(120, 75%, 50%)</c>.</summary>
    public string Css => string.Create(CultureInfo.InvariantCulture, $"hsl({Hue}, {Saturation}%, {Lightness}%)");

    /// <summary>Converts to 8-bit RGB (for terminals).</summary>
    /// <returns>Red, green and blue.</returns>
    public (byte R, byte G, byte B) ToRgb()
    {
        double s = Saturation / 100.0, l = Lightness / 100.0;
        double c = (1 - Math.Abs((2 * l) - 1)) * s;
        double hp = Hue / 60.0;
        double x = c * (1 - Math.Abs((hp % 2) - 1));
        (double r, double g, double b) = hp switch
        {
            < 1 => (c, x, 0.0),
            < 2 => (x, c, 0.0),
            < 3 => (0.0, c, x),
            < 4 => (0.0, x, c),
            < 5 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        double m = l - (c / 2);
        return (ToByte(r + m), ToByte(g + m), ToByte(b + m));
    }

    private static byte ToByte(double v) => (byte)Math.Clamp(Math.Round(v * 255), 0, 255);
}

/// <summary>
/// Maps a normalised attribution in [-1, 1] to a colour exactly as Captum's <c>visualization._get_color</c> does:
/// green (toward the target class) getting darker with the attribution, red (against it) likewise, white for zero.
/// </summary>
public static class AttributionColors
{
    /// <summary>The colour for <paramref name="normalizedAttribution"/>; values outside [-1, 1] are clipped and NaN is neutral.</summary>
    /// <param name="normalizedAttribution">The attribution divided by the L2 norm of all attributions.</param>
    /// <returns>The colour.</returns>
    public static HslColor For(double normalizedAttribution)
    {
        // Clipped as in Captum, to keep lightness inside [50, 100] whatever the server sends.
        var attr = double.IsNaN(normalizedAttribution) ? 0 : Math.Clamp(normalizedAttribution, -1, 1);
        return attr > 0
            ? new HslColor(120, 75, 100 - (int)(50 * attr))
            : new HslColor(0, 75, 100 - (int)(-40 * attr));
    }
}
