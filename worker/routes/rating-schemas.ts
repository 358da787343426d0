// Response shapes of ratings, shared by the server, agent and rating routes.
import { z } from "zod";

export const RatingSummarySchema = z
  .object({
    mean: z.number().nullable().meta({ description: "Mean of the kept ratings (1-5); null when none" }),
    count: z.int().meta({ description: "How many ratings are kept (at most 100)" }),
  })
  .meta({ id: "RatingSummary" });

export const MyRatingSchema = RatingSummarySchema.extend({
  mine: z.int().nullable().meta({ description: "Your own rating, null when you have none" }),
}).meta({ id: "MyRating" });

export const RatingInput = z
  .strictObject({
    rating: z.int("must be an integer from 1 to 5").min(1).max(5),
  })
  .meta({ id: "RatingInput" });

export const RatingList = z
  .object({
    items: z.array(z.object({ rater: z.string(), rating: z.int(), ratedAt: z.string() })),
  })
  .meta({ id: "RatingList" });
